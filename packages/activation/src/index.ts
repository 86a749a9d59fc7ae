export { SystemdError } from './errors.js';
export { listenFds, SD_LISTEN_FDS_START, type ListenFd, type ListenFdsOptions } from './listen-fds.js';
export { fdInfo, type FdInfo } from './fd-info.js';
export { listen, listenAll, adoptDatagram, acceptedConnection, type ListenOptions, type Listening } from './adopt.js';
export { inetdConnection } from './inetd.js';
export { notify, type NotifyFields, type NotifyOptions } from './notify.js';
export { watchdogUsec, keepAlive, type KeepAlive } from './watchdog.js';
export { isBooted, invocationId, underSystemd } from './service.js';
export { storeConnections, restoreConnections, socketFd, DEFAULT_STORE_NAME, type StoreOptions, type RestoreOptions } from './fd-store.js';
export { serveUntilStopped, type ServeOptions, type Serving } from './lifecycle.js';
export { credential, credentials, type CredentialOptions } from './credentials.js';
export { onReload, type ReloadHandler, type ReloadOptions } from './reload.js';
export {
  createLogger,
  pinoDestination,
  stderrIsJournal,
  JOURNAL_SOCKET,
  PRIORITY,
  type Logger,
  type LoggerOptions,
  type JournalFields,
  type JournalValue,
} from './journal.js';
