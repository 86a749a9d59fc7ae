import { invalid } from './errors.js';
import { notify } from './notify.js';

// USEC_INFINITY in systemd: the largest value is "never", not an interval.
const USEC_INFINITY = 2n ** 64n - 1n;
// setInterval silently turns longer delays into 1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The watchdog interval systemd expects pings within (WATCHDOG_USEC, µs), or
 * undefined when there is no watchdog for this process: WATCHDOG_USEC unset,
 * or WATCHDOG_PID naming another process. 0 or garbage is an error.
 */
export function watchdogUsec(env: NodeJS.ProcessEnv = process.env): bigint | undefined {
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined) return undefined;
  const usec = /^[0-9]{1,20}$/.test(usecText) ? BigInt(usecText) : 0n;
  if (usec <= 0n || usec >= USEC_INFINITY) {
    throw invalid('WATCHDOG_USEC', usecText, 'a positive number of microseconds');
  }
  const pidText = env.WATCHDOG_PID;
  if (pidText !== undefined) {
    if (!/^[1-9][0-9]{0,9}$/.test(pidText)) throw invalid('WATCHDOG_PID', pidText, 'a process id');
    if (Number(pidText) !== process.pid) return undefined;
  }
  return usec;
}

export interface KeepAlive {
  /** How often WATCHDOG=1 is sent: half the watchdog interval. */
  readonly intervalMs: number;
  stop(): void;
}

/**
 * Pings the watchdog (WATCHDOG=1) at half the interval systemd asked for, on a
 * timer that never keeps the process alive. Undefined when there is no
 * watchdog for this process. A failed ping is reported as a process warning
 * instead of crashing the service: the missing ping is what systemd acts on.
 */
export function keepAlive(): KeepAlive | undefined {
  const usec = watchdogUsec();
  if (usec === undefined) return undefined;
  const intervalMs = Math.min(Math.max(1, Number(usec / 2000n)), MAX_TIMER_MS);
  let warned = false;
  const timer = setInterval(() => {
    try {
      notify.watchdog();
    } catch (error) {
      if (!warned) {
        warned = true;
        process.emitWarning(`watchdog ping failed: ${(error as Error).message}`, { code: 'SDNODE_WATCHDOG' });
      }
    }
  }, intervalMs);
  timer.unref();
  return {
    intervalMs,
    stop: () => clearInterval(timer),
  };
}
