import { statSync } from 'node:fs';
import type { FdInfo } from './fd-info.js';
import { type ListenEnvironment, type ListenFd, parseListenEnvironment } from './environment.js';
import { procSocket } from '../native/index.js';

// A node:cluster worker inherits its primary's environment but not its fds (its own fd 3 is the IPC
// channel). When LISTEN_* name the primary, the worker listens on the primary's fds through Node's
// cluster: server.listen({ fd }) in a worker asks the primary to listen on that fd number of its own
// and share the connections. A primary that read the variables itself (and so removed them) leaves
// HAND_ON for the workers it forks; only a cluster worker of that very primary takes it.

/** Set by a primary that read LISTEN_* for itself: `{ "pid": primary, "fds": [{ "fd", "name" }] }`. */
const HAND_ON = 'SDNODE_CLUSTER_LISTEN_FDS';

/**
 * The primary's passed fds, for a node:cluster worker whose LISTEN_PID (or HAND_ON) names its parent;
 * undefined anywhere else. The worker's own HAND_ON is removed with the LISTEN_* variables.
 */
export function primaryFds(env: NodeJS.ProcessEnv, parsed: ListenEnvironment): ListenFd[] | undefined {
  const handedOn = env[HAND_ON];
  if (parsed.meantForOther === undefined && handedOn === undefined) return undefined;
  // Loaded only then: most processes never need it. Node loads it early in a worker anyway.
  if (!(process.getBuiltinModule('node:cluster') as unknown as { isWorker: boolean }).isWorker) return undefined;
  const ppid = process.ppid;
  if (parsed.meantForOther?.listenPid === ppid) return parseListenEnvironment(env, ppid).fds;
  if (handedOn === undefined || parsed.meantForOther !== undefined) return undefined;
  try {
    const value = JSON.parse(handedOn) as { pid?: unknown; fds?: unknown };
    if (value.pid !== ppid || !Array.isArray(value.fds)) return undefined;
    return value.fds.filter((f): f is ListenFd => Number.isInteger(f?.fd) && typeof f?.name === 'string');
  } catch {
    return undefined;
  }
}

/** Leaves this process's passed fds in its environment for the cluster workers it may fork. */
export function handOnToWorkers(env: NodeJS.ProcessEnv, fds: ListenFd[]): void {
  if (fds.length > 0) env[HAND_ON] = JSON.stringify({ pid: process.pid, fds });
}

/** Removes what a primary handed on, so that this process's own children do not take it. */
export function removeHandOn(env: NodeJS.ProcessEnv): void {
  delete env[HAND_ON];
}

/**
 * What the primary's `fd` is, seen from the worker through /proc/<primary>/fd (stat follows the
 * link to the socket's inode, found in /proc/self/net). When that cannot be read, a socket of
 * unknown type: trusted, as systemd passes what the unit asks for.
 */
export function primaryFdInfo(fd: number): FdInfo {
  try {
    const stat = statSync(`/proc/${process.ppid}/fd/${fd}`, { bigint: true });
    if (stat.isFIFO()) return { fd, kind: 'fifo' };
    if (stat.isFile()) return { fd, kind: 'file' };
    if (!stat.isSocket()) return { fd, kind: 'other' };
    return { fd, kind: 'socket', ...procSocket(stat.ino) };
  } catch {
    return { fd, kind: 'socket' };
  }
}
