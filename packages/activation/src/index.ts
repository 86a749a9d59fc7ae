// @sdnode/activation: socket activation and service notification for Node.js under systemd. One
// folder per protocol (listen/, notify/, serve/, cluster/); the leaves journal/ and manager/ are
// entry points of their own (`@sdnode/activation/journal`, `@sdnode/activation/manager`).
export { SystemdError } from './errors.js';
export * from './listen/index.js';
export * from './notify/index.js';
export * from './serve/index.js';
export * from './cluster/index.js';
export { credential, credentials, type CredentialOptions } from './credentials.js';
export { isBooted, invocationId, underSystemd } from './service-context.js';
