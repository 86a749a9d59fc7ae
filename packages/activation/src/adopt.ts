import { Socket } from 'node:net';
import { claim, release } from './adopted-fds.js';
import { SystemdError } from './errors.js';
import { expectKind, isKind } from './expect-kind.js';
import { fdInfo } from './fd-info.js';
import { activationState, listenFds } from './listen-fds.js';
import { refuseWrapper } from './select-fd.js';

/**
 * The connection of an `Accept=yes` service (`systemd-socket-activate --accept`): the fd named
 * `connection`, else the single connected stream socket among listenFds(), else `options.fd`.
 * @throws SystemdError `ENOENT` without a connection, `EINVAL` for several, a wrong kind (fd left open)
 *   or a wrapper (LISTEN_PID names another process); `EEXIST` for an fd already adopted
 */
export function acceptedConnection(options: { fd?: number } = {}): Socket {
  refuseWrapper(activationState());
  const fds = listenFds();
  const named = fds.find((f) => f.name === 'connection');
  let info = named === undefined ? undefined : fdInfo(named.fd);
  if (info === undefined && fds.length > 0) {
    const connected = fds.map((f) => fdInfo(f.fd)).filter((i) => isKind(i, 'connected-stream'));
    if (connected.length > 1) {
      throw new SystemdError(
        `${connected.length} connected stream sockets were passed (${connected.map((i) => i.fd).join(', ')}): name the connection fd "connection" or pass { fd }`,
        'EINVAL',
      );
    }
    info = connected[0];
  }
  if (info === undefined && options.fd !== undefined) info = fdInfo(options.fd);
  if (info === undefined) {
    throw new SystemdError(
      fds.length === 0
        ? 'no accepted connection: LISTEN_FDS is not set for this process; run with systemd-socket-activate --accept or a socket unit with Accept=yes'
        : `no accepted connection among the passed fds (${fds.map((f) => `${f.fd} "${f.name}"`).join(', ')}): Accept=yes passes one connected stream socket`,
      'ENOENT',
      { variable: 'LISTEN_FDS' },
    );
  }
  expectKind(info, 'connected-stream');
  const { fd } = info;
  claim(fd);
  try {
    return new Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
  } catch (error) {
    release(fd);
    throw error;
  }
}
