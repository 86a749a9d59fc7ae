import { invalid } from './errors.js';
import { MAX_TIMER_MS, USEC_INFINITY } from './limits.js';

// The two kinds of duration a caller hands the library, each checked in one place: a delay this
// process waits on with a Node timer (milliseconds, at most what a timer takes), and a duration
// told to systemd (microseconds, below its "never").

/**
 * `ms` when it is a delay a Node timer keeps, from `min` (default 1) to MAX_TIMER_MS: a longer one
 * would silently fire after 1 ms, so it is refused rather than shortened. Undefined (an option
 * left out) passes through. Throws a SystemdError (EINVAL) naming `name`, the value and the range.
 */
export function checkDelay(name: string, ms: number, options?: { min?: number }): number;
export function checkDelay(name: string, ms: number | undefined, options?: { min?: number }): number | undefined;
export function checkDelay(name: string, ms: number | undefined, { min = 1 }: { min?: number } = {}): number | undefined {
  if (ms === undefined) return undefined;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < min || ms > MAX_TIMER_MS) {
    throw invalid(name, ms, `a number of milliseconds from ${min} to ${MAX_TIMER_MS}`);
  }
  return ms;
}

/**
 * A duration for systemd (WATCHDOG_USEC=, EXTEND_TIMEOUT_USEC=) in its µs: milliseconds as a
 * number, or microseconds as a bigint (exact). Throws a SystemdError (EINVAL) naming `name` for
 * anything not positive or not below USEC_INFINITY (which means "never", not a duration).
 */
export function durationUsec(name: string, value: number | bigint): bigint {
  if (typeof value === 'bigint' && value > 0n && value < USEC_INFINITY) return value;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    const usec = BigInt(Math.round(value * 1000));
    if (usec > 0n && usec < USEC_INFINITY) return usec;
  }
  throw invalid(name, value, 'a positive number of milliseconds, or a bigint number of microseconds');
}
