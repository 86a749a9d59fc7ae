import type { Connection } from '../listen/connection.js';
import { checkDelay } from '../durations.js';

/** How long a connection may stay silent by default before it is dropped. */
export const DEFAULT_SILENCE_TIMEOUT_MS = 30_000;

/** How long, by default, the client's end is waited for once this side has finished writing. */
export const DEFAULT_LINGER_MS = 5_000;

/** The bounds every connection is served with, in every mode. */
export interface ConnectionPolicy {
  /**
   * Drop the connection after this long with nothing read or written, so that a client that never
   * reads or never closes cannot hold it. Default 30 000; 0 turns it off.
   */
  silenceTimeoutMs?: number | undefined;
  /**
   * Once this side has finished writing, read (and drop) what the client still sends until its
   * end, for at most this long, then drop the connection: a client that keeps sending, which a
   * silence timer never catches, cannot hold it either. Default 5000.
   */
  lingerMs?: number | undefined;
}

/** The policy with its defaults filled in; throws SystemdError EINVAL naming a bad option. */
export function connectionPolicy(options: ConnectionPolicy): Required<ConnectionPolicy> {
  const { silenceTimeoutMs = DEFAULT_SILENCE_TIMEOUT_MS, lingerMs = DEFAULT_LINGER_MS } = options;
  checkDelay('silenceTimeoutMs', silenceTimeoutMs, { min: 0 });
  checkDelay('lingerMs', lingerMs);
  return { silenceTimeoutMs, lingerMs };
}

/**
 * Applies the policy to one connection: the silence timeout, a swallowed `'error'` (a client that
 * resets loses its reply; the process carries on, and listeners of the caller's still run), and
 * after this side's `'finish'` reading to the client's end, bounded by the linger time. Reading
 * to the end lets the connection close with a FIN: closing with unread bytes would reset it and
 * could destroy the reply in flight.
 */
export function guardConnection(connection: Connection, policy: Required<ConnectionPolicy>): void {
  if (policy.silenceTimeoutMs > 0) connection.setTimeout(policy.silenceTimeoutMs, () => connection.destroy());
  // Node destroys the connection itself after 'error'; without a listener the error would crash the process.
  connection.on('error', () => {});
  connection.once('finish', () => {
    if (connection.readableEnded) return; // both sides done: the stream closes by itself
    const linger = setTimeout(() => connection.destroy(), policy.lingerMs);
    linger.unref(); // the connection keeps the process alive, never the timer
    connection.once('close', () => clearTimeout(linger));
    connection.resume();
  });
}
