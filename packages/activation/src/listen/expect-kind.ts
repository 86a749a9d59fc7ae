import { SystemdError } from '../errors.js';
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
  // AF_VSOCK, AF_NETLINK, AF_PACKET…: libuv adopts none of them (listen({ fd }) fails with a bare EINVAL).
  if (info.family === 'other') return false;
  if (kind === 'datagram') return info.type === 'dgram';
  if (info.type === undefined) return true;
  return info.type === 'stream' && info.listening === (kind === 'listening-stream');
}

/** Who the fd is to the caller, for the message of a wrong kind. */
export interface KindContext {
  /** Its LISTEN_FDNAMES name: `fd 3 ("web")`. */
  name?: string;
  /** What the process knows it as: `fd 0 (stdin)`. */
  role?: string;
  /** What was expected, in place of the kind's usual words (how to run the service, for inetd mode). */
  expected?: string;
}

/**
 * The one kind check before an fd is handed to Node (sd_is_socket()'s role): Node closes an fd whose
 * adoption fails, so the kind is checked first and a wrong one leaves the fd open and usable.
 * @throws SystemdError `EINVAL` naming the fd (and its LISTEN_FDNAMES name or role), what it is and what was expected
 */
export function expectKind(info: FdInfo, kind: FdKind, context: KindContext = {}): void {
  if (isKind(info, kind)) return;
  const name = context.name === undefined ? '' : ` ("${context.name}")`;
  const role = context.role === undefined ? '' : ` (${context.role})`;
  throw new SystemdError(
    `fd ${info.fd}${role}${name} is ${describeFd(info)}${info.family === 'other' ? `, ${NOT_ADOPTABLE}` : ''}: expected ${context.expected ?? EXPECTED[kind]}; the fd was left open`,
    'EINVAL',
    { subject: 'fd', value: String(info.fd) },
  );
}

/** An fd in words: `a FIFO`, `a terminal`, `an inet4 dgram socket`, `a listening unix stream socket`. */
export function describeFd(info: FdInfo): string {
  if (info.kind === 'fifo') return 'a FIFO';
  if (info.kind === 'file') return 'a regular file';
  // node:tty only here: a terminal is the usual mistake (started by hand), and rare on any start path.
  if (info.kind === 'other')
    return process.getBuiltinModule('node:tty').isatty(info.fd) ? 'a terminal' : 'neither a socket, a FIFO nor a file';
  const family = info.family === undefined ? '' : `${info.family === 'other' ? familyName(info.domain) : info.family} `;
  // A type other than stream, dgram or seqpacket (SOCK_RAW of AF_NETLINK, AF_PACKET…) is not named.
  const type = info.type === 'other' ? '' : `${info.type ?? 'unknown-type'} `;
  const state = info.type === 'stream' ? (info.listening ? 'listening ' : 'connected ') : '';
  const words = `${state}${family}${type}socket`;
  // "an inet4", "an AF_VSOCK", "an unknown-type", but "a unix".
  return `${/^(?:[aeioA]|un(?!i))/.test(words) ? 'an' : 'a'} ${words}`;
}

/** Why a socket of another family is refused, for the messages that name one. */
export const NOT_ADOPTABLE = 'which Node cannot adopt: it takes inet4, inet6 and unix sockets only';

// Families a socket unit can pass (ListenStream=vsock:, ListenNetlink=, …) or a program can hand on.
const FAMILY_NAMES: Record<number, string> = {
  16: 'AF_NETLINK',
  17: 'AF_PACKET',
  29: 'AF_CAN',
  30: 'AF_TIPC',
  31: 'AF_BLUETOOTH',
  38: 'AF_ALG',
  40: 'AF_VSOCK',
  44: 'AF_XDP',
  45: 'AF_MCTP',
};

/** `AF_VSOCK`, or `address family 42` for a number without a name here. */
function familyName(domain: number | undefined): string {
  if (domain === undefined) return 'other-family';
  return FAMILY_NAMES[domain] ?? `address family ${domain}`;
}
