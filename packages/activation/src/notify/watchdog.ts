import { invalid } from '../errors.js';
import { MAX_TIMER_MS, USEC_INFINITY } from '../limits.js';
import { notify } from './notify.js';

/** How long systemd waits for a ping: the same span in milliseconds and, exact, in microseconds. */
export interface WatchdogTimeout {
  readonly ms: number;
  readonly usec: bigint;
}

/**
 * The watchdog timeout systemd expects pings within (WATCHDOG_USEC), or undefined when there is
 * no watchdog for this process: WATCHDOG_USEC unset, or WATCHDOG_PID naming another process.
 * Parsed more strictly than libsystemd, never differently: decimal digits only, no leading zero
 * (libsystemd would read `010` as octal).
 * Throws a SystemdError (EINVAL) naming the variable for 0, infinity, or anything else.
 */
export function watchdogTimeout(env: NodeJS.ProcessEnv = process.env): WatchdogTimeout | undefined {
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined) return undefined;
  const usec = /^[1-9][0-9]{0,19}$/.test(usecText) ? BigInt(usecText) : 0n;
  if (usec <= 0n || usec >= USEC_INFINITY) {
    throw invalid('WATCHDOG_USEC', usecText, 'a positive decimal number of microseconds, without leading zeros');
  }
  const pidText = env.WATCHDOG_PID;
  if (pidText !== undefined) {
    if (!/^[1-9][0-9]{0,9}$/.test(pidText)) throw invalid('WATCHDOG_PID', pidText, 'a process id (decimal, without leading zeros)');
    if (Number(pidText) !== process.pid) return undefined;
  }
  return { ms: Number(usec) / 1000, usec };
}

/** The pings that `startWatchdog()` started. */
export interface Watchdog {
  /** How often WATCHDOG=1 is sent: half the watchdog timeout. */
  readonly intervalMs: number;
  stop(): void;
}

/**
 * Pings the watchdog (WATCHDOG=1) at half the timeout systemd asked for, on a timer that never
 * keeps the process alive. Undefined when there is no watchdog for this process. A ping that
 * cannot be delivered never throws (notify warns once): the missing ping is what systemd acts on.
 * Throws what `watchdogTimeout()` throws.
 */
export function startWatchdog(): Watchdog | undefined {
  const timeout = watchdogTimeout();
  if (timeout === undefined) return undefined;
  const intervalMs = Math.min(Math.max(1, Number(timeout.usec / 2000n)), MAX_TIMER_MS);
  const timer = setInterval(notify.watchdog, intervalMs);
  timer.unref();
  return {
    intervalMs,
    stop: () => clearInterval(timer),
  };
}
