import { SystemdError } from '../errors.js';
import type { FdInfo } from '../listen/fd-info.js';
import { requireNative } from '../native/index.js';

/** Where a held socket listens: an IP literal and port, or a unix '/path' or '@abstract' name. */
export interface HeldSocketAddress {
  family: 'inet4' | 'inet6' | 'unix';
  type: 'stream' | 'dgram' | 'seqpacket';
  /** an IP literal ('127.0.0.1', '::'), or for unix '/path' or '@abstract' */
  address: string;
  /** for inet4/inet6 */
  port?: number;
  /** listen() backlog for stream and seqpacket sockets; default 4096 */
  backlog?: number;
}

// Linux's numbers, as the native part takes them.
const DOMAINS: Record<HeldSocketAddress['family'], number> = { inet4: 2, inet6: 10, unix: 1 };
const TYPES: Record<NonNullable<FdInfo['type']>, number> = { stream: 1, dgram: 2, seqpacket: 5, other: -1 };
const DEFAULT_BACKLOG = 4096;

/**
 * Opens a socket the way a service manager holds one: bound, listening (unless a datagram socket),
 * close-on-exec, and with no connection accepted and no datagram read — they wait in the kernel
 * until the process the fd is passed to takes them. Node's own servers cannot do this: they
 * accept as soon as a connection arrives. Returns the fd, which the caller closes
 * (`fs.closeSync`).
 *
 * Throws a SystemdError whose `code` is the errno name: EADDRINUSE (address in use), EACCES
 * (a privileged port), EADDRNOTAVAIL (an address not on this machine), EINVAL (not an IP literal),
 * ENOTSUP (no native part).
 */
export function holdSocket(where: HeldSocketAddress): number {
  const shown = where.family === 'unix' ? where.address : `${where.address}:${where.port}`;
  try {
    return requireNative('holdSocket').listenSocket(
      DOMAINS[where.family],
      TYPES[where.type],
      where.address,
      where.port ?? 0,
      where.backlog ?? DEFAULT_BACKLOG,
    );
  } catch (error) {
    if (error instanceof SystemdError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new SystemdError(`cannot listen on ${shown}: ${e.message}`, e.code ?? 'EIO', { subject: 'address', value: shown, cause: error });
  }
}

/**
 * Resolves with the fds among `fds` (at most 64) that are readable — a connection or datagram
 * waits, or the socket hung up or failed — within `timeoutMs` (at most an hour), or [] when none is.
 * Nothing is read or accepted. The wait runs on libuv's thread pool, never blocking the event loop.
 * Throws (synchronously) TypeError for bad arguments and ENOTSUP without the native part; rejects
 * with poll's error.
 */
export function whenReadable(fds: number[], timeoutMs: number): Promise<number[]> {
  return requireNative('whenReadable').waitReadable(fds, timeoutMs);
}

/**
 * Resolves with the fds among `fds` (at most 64) that hung up or failed (POLLHUP, POLLERR) within
 * `timeoutMs` (at most an hour), or [] when none did; readability does not count, so an fd with
 * data waiting is not reported. This is how systemd watches its fd store (unless FDPOLL=0): a
 * socket whose peer has gone is dropped. On libuv's thread pool, never blocking the event loop.
 * Throws (synchronously) TypeError for bad arguments and ENOTSUP without the native part; rejects
 * with poll's error.
 */
export function whenHungUp(fds: number[], timeoutMs: number): Promise<number[]> {
  return requireNative('whenHungUp').waitReadable(fds, timeoutMs, true);
}
