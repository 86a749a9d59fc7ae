import { readdirSync, readlinkSync, type BigIntStats } from 'node:fs';

/**
 * Kinds of fd that Node (libuv, V8's platform) creates for itself at start-up and that the service
 * manager never passes for socket activation. When fewer fds were passed than LISTEN_FDS says, Node
 * takes the free numbers from 3 up for these, and they would be handed out as passed fds.
 */
// libuv ≥ 1.45 (Node 22 and 24) also opens an io_uring instance at start-up.
const RUNTIME_ANON_INODES = new Set(['anon_inode:[eventpoll]', 'anon_inode:[eventfd]', 'anon_inode:[signalfd]', 'anon_inode:[io_uring]']);

/**
 * Says what `fd` is when this process made it itself rather than inherited it, else undefined:
 * an epoll, eventfd, signalfd or io_uring instance, or an anonymous pipe whose other end this process also
 * holds (libuv's wake-up pipes come in such pairs; a pipe passed in carries one end).
 *
 * Sockets, files and named FIFOs are never the runtime's at start-up and are not looked at further,
 * so the common case costs nothing beyond the fstat already done. Without /proc nothing can be told.
 */
export function createdByThisProcess(fd: number, stat: BigIntStats): string | undefined {
  if (stat.isSocket() || stat.isFile() || stat.isDirectory() || stat.isCharacterDevice() || stat.isBlockDevice()) return undefined;
  const target = linkOf(fd);
  if (target === undefined) return undefined;
  if (RUNTIME_ANON_INODES.has(target)) return target;
  if (!target.startsWith('pipe:[')) return undefined;
  const otherEnd = openFds().find((other) => other !== fd && linkOf(other) === target);
  return otherEnd === undefined ? undefined : `${target}, a pipe whose other end this process holds too (fd ${otherEnd})`;
}

function linkOf(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

function openFds(): number[] {
  try {
    return readdirSync('/proc/self/fd').map(Number);
  } catch {
    return [];
  }
}
