// The one connection of a per-connection service (Accept=yes): on fd 3 (mode 2) or on stdin and
// stdout (mode 3, inetd style), and serving it under the connection policy.
import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import { claim, release } from './adopted-fds.js';
import { type Connection, type ConnectionPolicy, connectionPolicy, guardConnection } from './connection-policy.js';
import { SystemdError } from './errors.js';
import { expectKind, isKind } from './expect-kind.js';
import { fdInfo, type FdInfo } from './fd-info.js';
import { activationState, listenFds } from './listen-fds.js';
import { refuseWrapper } from './select-fd.js';
import { StdioConnection } from './stdio-connection.js';

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
      { subject: 'LISTEN_FDS' },
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

let stdio: StdioConnection | undefined;

/**
 * The connection of an inetd-style service (`StandardInput=socket`, `systemd-socket-activate
 * --inetd`) as one Duplex over process.stdin and process.stdout (both are that connection;
 * wrapping fd 0 again would break process.stdin); the same one on every call. Throws
 * SystemdError ENOTSOCK when stdin is not a connected socket, EINVAL when stdout is not the
 * same connection.
 */
export function inetdConnection(): Connection {
  if (stdio !== undefined) return stdio;
  const info = fdInfo(0);
  if (info.kind !== 'socket' || info.type === 'dgram' || info.listening === true) {
    throw new SystemdError(
      `stdin is ${describeStdin(info)}, not a connected socket: run with systemd-socket-activate --accept --inetd or a unit with StandardInput=socket`,
      'ENOTSOCK',
      { subject: 'fd', value: '0' },
    );
  }
  if (!sameFile(0, 1)) {
    throw new SystemdError(
      'stdout is not the connection stdin is: replies would not reach the client; leave StandardOutput= at its default (inherit) or set it to socket',
      'EINVAL',
      { subject: 'fd', value: '1' },
    );
  }
  stdio = new StdioConnection(process.stdin, process.stdout);
  return stdio;
}

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

function describeStdin(info: FdInfo): string {
  if (process.getBuiltinModule('node:tty').isatty(0)) return 'a terminal';
  if (info.kind === 'socket') return info.listening === true ? 'a listening socket' : 'a datagram socket';
  if (info.kind === 'fifo') return 'a pipe';
  if (info.kind === 'file') return 'a file';
  return 'not a socket';
}

function sameFile(a: number, b: number): boolean {
  try {
    const [x, y] = [fstatSync(a, { bigint: true }), fstatSync(b, { bigint: true })];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
