import type { Socket as UdpSocket } from 'node:dgram';
import { claim, release } from './adopted-fds.js';
import { SystemdError } from '../errors.js';
import { describeNoneFitted, describePassed, type FdSelection, selectFds } from './select-fd.js';

/**
 * A UDP socket on an activated datagram fd (the single datagram socket among those passed, or the one
 * `name`/`fd` selects), created as udp4 or udp6 after the fd's family: the other would receive but fail
 * to send. Bound when returned: 'listening' was already emitted, address() works.
 * @throws SystemdError `ENOENT` without a datagram socket, `EINVAL` for several and no selection, a
 *   wrong kind (fd left open) or a wrapper (LISTEN_PID); `EPROTOTYPE` for an AF_UNIX datagram socket
 *   (no Node core API adopts one); `EAFNOSUPPORT` when the family cannot be read; `EEXIST` for an fd
 *   already adopted
 */
export function adoptDatagram(selection: FdSelection = {}): UdpSocket {
  const selected = selectFds(selection, 'datagram');
  const { passed } = selected;
  if (selected.fds.length !== 1) {
    throw new SystemdError(
      selected.fds.length === 0
        ? passed.length === 0
          ? 'no datagram socket: LISTEN_FDS is not set for this process; run with systemd-socket-activate --datagram or a socket unit with ListenDatagram='
          : `no datagram socket among ${describeNoneFitted(selected)}`
        : `${selected.fds.length} datagram sockets (${describePassed(selected.fds)}): choose one with the name or fd option`,
      selected.fds.length === 0 ? 'ENOENT' : 'EINVAL',
      { subject: 'LISTEN_FDS' },
    );
  }
  const { info } = selected.fds[0]!;
  if (info.family === 'unix') {
    throw new SystemdError(
      `fd ${info.fd} is an AF_UNIX datagram socket${info.path ? ` (${info.path})` : ''}: Node cannot adopt AF_UNIX datagram sockets (no core API accepts them); use a UDP socket`,
      'EPROTOTYPE',
      { subject: 'fd', value: String(info.fd) },
    );
  }
  if (info.family !== 'inet4' && info.family !== 'inet6') {
    throw new SystemdError(
      `fd ${info.fd}: cannot tell whether the datagram socket is IPv4 or IPv6 (${info.family ?? 'family unknown: native part not loaded and the socket is not in /proc/self/net'})`,
      'EAFNOSUPPORT',
      { subject: 'fd', value: String(info.fd) },
    );
  }
  claim(info.fd);
  const socket = process.getBuiltinModule('node:dgram').createSocket(info.family === 'inet6' ? 'udp6' : 'udp4');
  try {
    socket.bind({ fd: info.fd }); // synchronous for an fd: bound, 'listening' already emitted
  } catch (error) {
    release(info.fd);
    throw error;
  }
  return socket;
}
