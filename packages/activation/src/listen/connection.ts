// The one connection of a per-connection service (Accept=yes): on fd 3 (mode 2) or on stdin and
// stdout (mode 3, inetd style).
import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { claim, release } from './adopted-fds.js';
import { SystemdError } from '../errors.js';
import { expectKind } from './expect-kind.js';
import { fdInfo } from './fd-info.js';
import { activationState } from './passed-fds.js';
import { describeNoneFitted, describePassed, type FdSelection, selectFds } from './select-fd.js';
import { StdioConnection } from './stdio-connection.js';

/**
 * The connection of a per-connection service: a `net.Socket`, or the duplex `inetdConnection()`
 * returns. `setTimeout(ms, callback)` behaves as `net.Socket`'s: `'timeout'` after `ms` with
 * nothing read or written.
 */
export interface Connection extends Duplex {
  setTimeout(ms: number, callback?: () => void): this;
}

/** The name systemd gives the connection of an `Accept=yes` service (LISTEN_FDNAMES). */
const CONNECTION_NAME = 'connection';

/**
 * The connection of an `Accept=yes` service (`systemd-socket-activate --accept`), chosen as every
 * adopting function chooses (`name`, `fd`: see selectFds()); by default the fd named `connection`,
 * else the single connected stream socket among listenFds(). `fd` alone in a process that was not
 * socket-activated takes that fd (a connection got some other way).
 * @throws SystemdError `ENOENT` without a connection, `EINVAL` for several, a malformed option, a wrong
 *   kind (fd left open), an `fd` that was not passed, or a wrapper (LISTEN_PID names another process);
 *   `EEXIST` for an fd already adopted
 */
export function acceptedConnection(options: FdSelection = {}): Socket {
  const byDefault = options.name === undefined && options.fd === undefined;
  // systemd names an Accept=yes connection `connection`: by default that one wins over other connected fds.
  const named = byDefault && activationState().fds.some((f) => f.name === CONNECTION_NAME);
  const selected = selectFds(named ? { name: CONNECTION_NAME } : options, 'connected-stream');
  const chosen = selected.fds;
  if (chosen.length > 1) {
    throw new SystemdError(
      `${chosen.length} connected stream sockets were passed (${describePassed(chosen)}): choose one with the name option (LISTEN_FDNAMES, FileDescriptorName=) or fd`,
      'EINVAL',
      { subject: 'name', value: options.name ?? '' },
    );
  }
  const [one] = chosen;
  if (one === undefined) {
    const { passed } = selected;
    throw new SystemdError(
      passed.length === 0
        ? 'no accepted connection: LISTEN_FDS is not set for this process; run with systemd-socket-activate --accept or a socket unit with Accept=yes'
        : `no accepted connection${options.name === undefined ? '' : ` named "${options.name}"`} among the passed fds (${describeNoneFitted(selected)}): Accept=yes passes one connected stream socket`,
      'ENOENT',
      { subject: options.name === undefined ? 'LISTEN_FDS' : 'LISTEN_FDNAMES' },
    );
  }
  const { fd } = one;
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
 * wrapping fd 0 again would break process.stdin); the same one on every call.
 * @throws SystemdError `EINVAL` when stdin is not a connected stream socket (the kind check every
 *   adopting function makes), or when stdout is not the same connection
 */
export function inetdConnection(): Connection {
  if (stdio !== undefined) return stdio;
  expectKind(fdInfo(0), 'connected-stream', {
    role: 'stdin',
    expected:
      'a connected stream socket: run with systemd-socket-activate --accept --inetd or a unit with Accept=yes and StandardInput=socket',
  });
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

function sameFile(a: number, b: number): boolean {
  try {
    const [x, y] = [fstatSync(a, { bigint: true }), fstatSync(b, { bigint: true })];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
