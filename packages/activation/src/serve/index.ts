/**
 * Serving under a service manager: serveUntilStopped() (READY, SIGTERM, a bounded graceful stop),
 * the connection policy every connection is served with in every mode, the per-connection
 * services' serveConnection(), and handing open connections over a restart through the fd store.
 */
export { serveUntilStopped, type ServeOptions, type Serving } from './serve-until-stopped.js';
export { serveConnection, type ServeConnectionOptions } from './serve-connection.js';
export type { ConnectionPolicy } from './connection-policy.js';
export { storeConnections, restoreConnections, DEFAULT_STORE_NAME, type StoreOptions, type RestoreOptions } from './fd-store.js';
