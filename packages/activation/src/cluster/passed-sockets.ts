import { fstatSync } from 'node:fs';
import { activationState } from '../listen/passed-fds.js';

// Node's cluster primary closes a shared listening handle once no worker holds it any more
// (RoundRobinHandle and SharedHandle remove()): for an fd the manager passed, that is the
// activated socket itself, and no later worker can listen on it. The primary can only notice.

/**
 * Remembers which socket each fd passed to this process is; the returned function names the
 * first one closed (or replaced by another file) since, or is undefined while all are there.
 */
export function watchPassedSockets(): () => number | undefined {
  let passed: { fd: number; ino: bigint }[] = [];
  try {
    passed = activationState({ unsetEnvironment: false }).fds.map(({ fd }) => ({ fd, ino: fstatSync(fd, { bigint: true }).ino }));
  } catch {
    // Not activated, or activated wrongly: the workers' listen() says so.
  }
  return () => passed.find(({ fd, ino }) => !isStill(fd, ino))?.fd;
}

function isStill(fd: number, ino: bigint): boolean {
  try {
    return fstatSync(fd, { bigint: true }).ino === ino;
  } catch {
    return false;
  }
}
