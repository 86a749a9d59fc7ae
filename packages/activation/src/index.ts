export { SystemdError } from './errors.js';
export { parseListenEnvironment, SD_LISTEN_FDS_START, type ListenEnvironment, type ListenFd } from './listen-env.js';
export { listenFds, activationState, type ListenFdsOptions } from './listen-fds.js';
export { fdInfo, type FdInfo } from './fd-info.js';
export type { FdSelection } from './select-fd.js';
export { listen, listenAll, type ListenOptions, type Listening, type ListeningAll } from './listeners.js';
export { adoptDatagram } from './datagram.js';
export { acceptedConnection, inetdConnection, serveConnection, type ServeConnectionOptions } from './connection.js';
export type { Connection, ConnectionPolicy } from './connection-policy.js';
export { notify, type NotifyFields, type NotifyOptions } from './notify.js';
export { watchdogTimeout, startWatchdog, type WatchdogTimeout, type Watchdog } from './watchdog.js';
export { isBooted, invocationId, underSystemd } from './service-context.js';
export { storeConnections, restoreConnections, DEFAULT_STORE_NAME, type StoreOptions, type RestoreOptions } from './fd-store.js';
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
export { holdSocket, whenHungUp, whenReadable, type HeldSocketAddress } from './held-socket.js';
export { receiveNotifications, parseNotification, type Notification, type NotifyReceiver } from './notify-receiver.js';
export { serveCluster, type ClusterOptions, type Cluster } from './cluster-primary.js';
