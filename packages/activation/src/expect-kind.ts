import { SystemdError } from './errors.js';
import type { FdInfo } from './fd-info.js';

/** The kinds of fd the adopting functions take, as socket units pass them. */
export type FdKind = 'listening-stream' | 'connected-stream' | 'datagram';

const EXPECTED: Record<FdKind, string> = {
  'listening-stream': 'a listening stream socket (ListenStream=, systemd-socket-activate -l)',
  'connected-stream': 'a connected stream socket (Accept=yes, systemd-socket-activate --accept, or a stored connection)',
  datagram: 'a datagram socket (ListenDatagram=, systemd-socket-activate --datagram)',
};

/**
 * Whether `info` is of `kind`. A socket whose type could not be read (no native part and another network
 * namespace, PrivateNetwork=yes) is trusted as a stream socket, as systemd passes what the unit asks
 * for; a datagram socket needs its family known anyway (udp4 or udp6), so it is not trusted.
 */
export function isKind(info: FdInfo, kind: FdKind): boolean {
  if (info.kind !== 'socket') return false;
  if (kind === 'datagram') return info.type === 'dgram';
  if (info.type === undefined) return true;
  return info.type === 'stream' && info.listening === (kind === 'listening-stream');
}

/**
 * The one kind check before an fd is handed to Node (sd_is_socket()'s role): Node closes an fd whose
 * adoption fails, so the kind is checked first and a wrong one leaves the fd open and usable.
 * @throws SystemdError `EINVAL` naming the fd (and its LISTEN_FDNAMES name), what it is and what was expected
 */
export function expectKind(info: FdInfo, kind: FdKind, name?: string): void {
  if (isKind(info, kind)) return;
  throw new SystemdError(
    `fd ${info.fd}${name === undefined ? '' : ` ("${name}")`} is ${describeFd(info)}: expected ${EXPECTED[kind]}; the fd was left open`,
    'EINVAL',
    { subject: 'fd', value: String(info.fd) },
  );
}

/** An fd in words: `a FIFO`, `an inet4 dgram socket`, `a listening unix stream socket`. */
export function describeFd(info: FdInfo): string {
  if (info.kind === 'fifo') return 'a FIFO';
  if (info.kind === 'file') return 'a regular file';
  if (info.kind === 'other') return 'neither a socket, a FIFO nor a file';
  const family = info.family === undefined ? '' : `${info.family} `;
  const type = info.type ?? 'unknown-type';
  const state = info.type === 'stream' ? (info.listening ? 'listening ' : 'connected ') : '';
  const words = `${state}${family}${type} socket`;
  return `${/^[aeiou]/.test(words) ? 'an' : 'a'} ${words}`;
}
