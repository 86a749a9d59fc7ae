import { closeSync } from 'node:fs';

/** Closes each fd; one already closed is skipped (it has nothing left to release). */
export function closeAll(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // already closed: nothing to release
    }
  }
}
