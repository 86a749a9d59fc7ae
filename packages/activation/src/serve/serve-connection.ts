import type { Connection } from '../listen/connection.js';
import { type ConnectionPolicy, connectionPolicy, guardConnection } from './connection-policy.js';

export interface ServeConnectionOptions extends ConnectionPolicy {
  /** Once the connection has closed. Default: `process.exit()`, so that nothing else holds the process. */
  onClosed?: () => void;
}

/**
 * Serves the one connection of a per-connection service (`acceptedConnection()`,
 * `inetdConnection()`) with the policy `serveUntilStopped()` gives every connection: the silence
 * timeout, a client's reset swallowed, after this side's end the client's end waited for at most
 * `lingerMs` (what it still sends is read and dropped), then the exit. `handler` runs at once
 * with the connection and ends it when it has answered. Returns the connection. Throws
 * SystemdError EINVAL naming a bad option, before touching the connection.
 */
export function serveConnection<C extends Connection>(
  connection: C,
  handler: (connection: C) => unknown,
  options: ServeConnectionOptions = {},
): C {
  const policy = connectionPolicy(options);
  const onClosed = options.onClosed ?? ((): void => process.exit());
  guardConnection(connection, policy);
  // setImmediate lets what the close queued (a last log line) out before an exit.
  connection.once('close', () => setImmediate(onClosed));
  handler(connection);
  return connection;
}
