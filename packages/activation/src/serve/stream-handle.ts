import type { Server, Socket } from 'node:net';
import { SystemdError } from '../errors.js';

// Node has no public API for a socket's descriptor, nor for making libuv stop reading now (pause()
// only stops once the readable buffer is full). Both sit on the socket's handle (TCPWrap, PipeWrap):
// `fd` (uv_fileno), `readStop()`/`readStart()`, and the `reading` flag net.js keeps beside them.
// Undocumented, but unchanged from early Node to 24. Every access to them is in this file, checked
// here, so a Node that differs fails with this file's errors instead of misbehaving.

interface Handle {
  fd?: unknown;
  reading?: unknown;
  readStop?: unknown;
  readStart?: unknown;
}

/** Turns libuv reading on a socket off and on again, with the `reading` flag net.js checks kept in step. */
export interface ReadControl {
  /** Whether libuv is reading now. */
  readonly reading: boolean;
  stop(): void;
  start(): void;
}

function handleOf(socket: Socket | Server): Handle | undefined {
  const handle = (socket as unknown as { _handle?: Handle | null })._handle;
  return handle === null || typeof handle !== 'object' ? undefined : handle;
}

function unsupported(what: string): SystemdError {
  return new SystemdError(
    `this Node (${process.version}) has no ${what} on a socket's handle: storing connections relies on it (present in Node 20 to 24)`,
    'ENOTSUP',
  );
}

/**
 * The file descriptor behind a connected net.Socket or a listening net.Server (TCP or unix).
 * @throws SystemdError `EBADF` when the socket has none (closed, still connecting, not TCP/unix);
 *   `ENOTSUP` on a Node whose handles have no `fd`
 */
export function socketFd(socket: Socket | Server): number {
  const handle = handleOf(socket);
  if (handle !== undefined && !('fd' in handle)) throw unsupported('fd');
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new SystemdError('socket has no file descriptor (closed, still connecting, or not a TCP/unix socket)', 'EBADF');
  }
  return fd;
}

/**
 * The read switch of a connected socket's handle, or undefined when it has no handle (destroyed).
 * @throws SystemdError `ENOTSUP` on a Node whose handles have no readStop()/readStart()
 */
export function readControl(socket: Socket): ReadControl | undefined {
  const handle = handleOf(socket);
  if (handle === undefined) return undefined;
  const { readStop, readStart } = handle;
  if (typeof readStop !== 'function' || typeof readStart !== 'function') throw unsupported('readStop()/readStart()');
  if (handle.reading !== undefined && typeof handle.reading !== 'boolean') throw unsupported('boolean `reading` flag');
  return {
    get reading() {
      return handle.reading === true;
    },
    stop() {
      handle.reading = false;
      readStop.call(handle);
    },
    start() {
      handle.reading = true;
      readStart.call(handle);
    },
  };
}
