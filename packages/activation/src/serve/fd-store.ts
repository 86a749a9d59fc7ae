import { Socket } from 'node:net';
import { claim, release } from '../listen/adopted-fds.js';
import { checkDelay } from '../durations.js';
import { invalid, SystemdError } from '../errors.js';
import { MAX_FDS_PER_MESSAGE } from '../limits.js';
import { notify } from '../notify/notify.js';
import { type FdSelection, selectFds } from '../listen/select-fd.js';
import { readControl, socketFd } from './stream-handle.js';

/** The name connections are stored under when none is given. */
export const DEFAULT_STORE_NAME = 'handover';

/** How long storeConnections() waits, by default, for the writes to drain and for the manager. */
const DEFAULT_STORE_TIMEOUT_MS = 5000;

export interface StoreOptions {
  /** FDNAME the connections are stored under; the next instance asks for them by it. */
  name?: string;
  /** How long to wait for pending writes to drain and for the manager to take the fds: 1 to 2^31−1 ms, default 5000. */
  timeoutMs?: number;
}

export interface RestoreOptions extends FdSelection {
  /** The FDNAME the connections were stored under (default `handover`); `fd` picks one of them by number. */
  name?: string;
  /** Ask the manager to drop its copies once adopted (default true), so closing ours really closes them. */
  removeFromStore?: boolean;
  /** As for net.createServer: false (default) ends our side when the peer ends its side. */
  allowHalfOpen?: boolean;
}

/**
 * Stops reading so every byte the peer sends from now on stays in the kernel for the next instance.
 * Bytes Node already read but nobody consumed would be lost: that is an error, not a silent drop.
 * Returns what undoes it, for when the handover fails and this process keeps serving.
 */
function freeze(socket: Socket, index: number): () => void {
  const wasPaused = socket.isPaused();
  const reads = readControl(socket);
  socket.pause();
  const stopped = reads?.reading === true;
  if (stopped) reads!.stop();
  const thaw = (): void => {
    if (socket.destroyed) return;
    // resume() alone would not restart libuv: the stream still counts its last read as pending.
    if (stopped) reads!.start();
    if (!wasPaused) socket.resume();
  };
  if (socket.readableLength > 0) {
    thaw();
    throw new SystemdError(
      `sockets[${index}] has ${socket.readableLength} unread bytes buffered in Node; consume them before storing it`,
      'EBUSY',
      { subject: `sockets[${index}]` },
    );
  }
  return thaw;
}

/** Resolves once everything written so far has reached the kernel (it then travels with the fd). */
function drained(socket: Socket): Promise<void> {
  if (socket.writableLength === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (socket.writableLength > 0) return;
      socket.off('drain', check).off('error', fail);
      clearInterval(poll);
      resolve();
    };
    const fail = (error: Error): void => {
      socket.off('drain', check);
      clearInterval(poll);
      reject(error);
    };
    // 'drain' only fires after write() returned false; poll for the other case.
    const poll = setInterval(check, 5);
    socket.on('drain', check).once('error', fail);
  });
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SystemdError(`${what} took longer than ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Hands live connections to the service manager (FDSTORE=1) so that the next instance of the
 * service gets them back, e.g. across `systemctl restart`. Needs `FileDescriptorStoreMax=` in the unit.
 *
 * Order matters: stop reading, let pending writes reach the kernel, send the fds, then wait on a
 * BARRIER=1 until the manager has processed the message (it attributes messages to the unit by the
 * sender's pid, so a sender that exits too early can lose them). Only then are our copies closed:
 * destroy() closes the descriptor without shutdown(), and since the manager holds the same open
 * socket the peer sees nothing.
 *
 * Returns false, with the sockets untouched, when not under a manager (NOTIFY_SOCKET unset).
 */
export async function storeConnections(sockets: Socket[], options: StoreOptions = {}): Promise<boolean> {
  const name = options.name ?? DEFAULT_STORE_NAME;
  const timeoutMs = checkDelay('timeoutMs', options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
  if (!Array.isArray(sockets)) throw invalid('sockets', sockets, 'an array of Socket');
  if (process.env.NOTIFY_SOCKET === undefined) return false;
  sockets.forEach((socket, i) => {
    if (!(socket instanceof Socket)) throw invalid(`sockets[${i}]`, socket, 'a Socket');
  });
  const live = sockets.filter((socket) => !socket.destroyed);
  if (live.length === 0) return true;
  const fds = live.map((socket) => socketFd(socket));
  const thaws: (() => void)[] = [];
  try {
    for (const [i, socket] of live.entries()) thaws.push(freeze(socket, i));
    await withTimeout(Promise.all(live.map(drained)), timeoutMs, 'draining pending writes before FDSTORE');
    for (let i = 0; i < fds.length; i += MAX_FDS_PER_MESSAGE) {
      notify.fdStore(fds.slice(i, i + MAX_FDS_PER_MESSAGE), { name });
    }
    await notify.barrier({ timeoutMs });
  } catch (error) {
    for (const thaw of thaws) thaw();
    throw error;
  }
  for (const socket of live) socket.destroy();
  return true;
}

/**
 * Takes back the connections a previous instance stored under `name` (default 'handover'), as
 * net.Sockets, from the fds the manager passed at start; `fd` narrows it to one. Each fd is checked
 * to be a connected stream socket before any is adopted. Then FDSTOREREMOVE=1 for that name (unless
 * `removeFromStore: false`), so that closing ours really closes the connection.
 * @throws SystemdError `EINVAL` for a wrong kind (every fd left open), a bad option or a wrapper
 *   (LISTEN_PID names another process); `EEXIST` for an fd already adopted; listenFds()'s errors
 */
export function restoreConnections(options: RestoreOptions = {}): Socket[] {
  const name = options.name ?? (options.fd === undefined ? DEFAULT_STORE_NAME : undefined);
  const { fds, passed } = selectFds({ ...options, name }, 'connected-stream');
  const allowHalfOpen = options.allowHalfOpen ?? false;
  const sockets: Socket[] = [];
  for (const { fd } of fds) {
    claim(fd);
    try {
      sockets.push(new Socket({ fd, readable: true, writable: true, allowHalfOpen }));
    } catch (error) {
      release(fd);
      throw error;
    }
  }
  // An fd the process got some other way (not socket-activated) is not in the manager's store.
  if (options.removeFromStore !== false && passed.length > 0) {
    for (const stored of new Set(fds.map((f) => f.name))) notify.fdStoreRemove(stored);
  }
  return sockets;
}
