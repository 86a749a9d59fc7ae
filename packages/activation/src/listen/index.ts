/**
 * Receiving sockets from the service manager (sd_listen_fds): reading LISTEN_PID, LISTEN_FDS and
 * LISTEN_FDNAMES once per process, telling what each passed fd is, choosing among them by name or
 * number, and handing them to Node objects: listening servers, datagram sockets, and the one
 * connection of an `Accept=yes` service (fd 3, or stdin and stdout inetd style). A node:cluster
 * worker's fds are its primary's (primary-fds.ts); nothing here imports the cluster feature.
 */
export { parseListenEnvironment, SD_LISTEN_FDS_START, type ListenEnvironment, type ListenFd } from './environment.js';
export { listenFds, activationState, type ListenFdsOptions } from './passed-fds.js';
export { fdInfo, type FdInfo } from './fd-info.js';
export type { FdSelection } from './select-fd.js';
export { listen, listenAll, type ListenOptions, type Listening, type ListeningAll } from './listeners.js';
export { adoptDatagram } from './datagram.js';
export { acceptedConnection, inetdConnection, type Connection } from './connection.js';
