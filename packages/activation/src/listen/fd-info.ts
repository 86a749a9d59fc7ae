import { fstatSync, type BigIntStats } from 'node:fs';
import { invalid, SystemdError } from '../errors.js';
import { loadNative } from '../native/index.js';
import { procSocket } from '../native/index.js';

/** What an fd is. For sockets, family/type are undefined only when they cannot be read (see fdInfo). */
export interface FdInfo {
  fd: number;
  kind: 'socket' | 'fifo' | 'file' | 'other';
  family?: 'inet4' | 'inet6' | 'unix' | 'other';
  type?: 'stream' | 'dgram' | 'seqpacket' | 'other';
  listening?: boolean;
  address?: string;
  port?: number;
  /** unix sockets: '/path', '@abstract', or '' when unnamed */
  path?: string;
  /** family 'other', with the native part: the address family number (SO_DOMAIN), e.g. 40 for AF_VSOCK */
  domain?: number;
  /** listening TCP sockets, with the native part: the kernel's backlog (a socket unit's Backlog=, capped by net.core.somaxconn) */
  backlog?: number;
}

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_SEQPACKET = 5;

/**
 * Describes an fd without changing it (fstat, then getsockopt/getsockname for sockets), so the
 * right Node API can be chosen before adopting it: a failed adoption would close the fd.
 *
 * Without the native part, sockets are looked up by inode in /proc/self/net; a socket from
 * another network namespace (PrivateNetwork=yes) is not listed there and is returned as
 * `{ kind: 'socket' }` with family and type undefined.
 */
export function fdInfo(fd: number): FdInfo {
  if (!Number.isInteger(fd) || fd < 0) throw invalid('fd', fd, 'a non-negative integer');
  let stat: BigIntStats;
  try {
    stat = fstatSync(fd, { bigint: true });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'EBADF';
    throw new SystemdError(`fd ${fd} is not open (${code})`, code, { subject: 'fd', value: String(fd), cause });
  }
  if (stat.isFIFO()) return { fd, kind: 'fifo' };
  if (stat.isFile()) return { fd, kind: 'file' };
  if (!stat.isSocket()) return { fd, kind: 'other' };

  const native = loadNative();
  if (native === undefined) return { fd, kind: 'socket', ...procSocket(stat.ino) };

  let info: ReturnType<typeof native.socketInfo>;
  try {
    info = native.socketInfo(fd);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'EIO';
    throw new SystemdError(`fd ${fd}: cannot read the socket's kind (${code})`, code, { subject: 'fd', value: String(fd), cause });
  }
  const result: FdInfo = { fd, kind: 'socket', family: family(info.domain), type: type(info.type), listening: info.listening };
  if (result.family === 'other') result.domain = info.domain;
  if (info.address !== undefined) result.address = info.address;
  if (info.port !== undefined) result.port = info.port;
  if (info.path !== undefined) result.path = info.path;
  if (info.backlog !== undefined) result.backlog = info.backlog;
  return result;
}

function family(domain: number): FdInfo['family'] {
  if (domain === AF_INET) return 'inet4';
  if (domain === AF_INET6) return 'inet6';
  if (domain === AF_UNIX) return 'unix';
  return 'other';
}

function type(sockType: number): FdInfo['type'] {
  if (sockType === SOCK_STREAM) return 'stream';
  if (sockType === SOCK_DGRAM) return 'dgram';
  if (sockType === SOCK_SEQPACKET) return 'seqpacket';
  return 'other';
}
