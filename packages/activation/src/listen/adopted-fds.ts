import { SystemdError } from '../errors.js';
import { processGlobal } from '../process-global.js';

/** fds this process has handed to a Node object, whichever copy of the library did it. */
const adopted = processGlobal('adopted-fds', () => new Set<number>());

/**
 * Records that `fd` is being handed to a Node object. Node itself fails a second adoption of the same fd
 * with a bare EEXIST, after the first object already owns it.
 * @throws SystemdError `EEXIST` when the fd was already adopted in this process
 */
export function claim(fd: number): void {
  if (adopted.has(fd)) {
    throw new SystemdError(`fd ${fd} was already adopted by this process: each fd can be given to one Node object only`, 'EEXIST', {
      subject: 'fd',
      value: String(fd),
    });
  }
  adopted.add(fd);
}

/** Undoes claim() when the adoption failed before a Node object took the fd. */
export function release(fd: number): void {
  adopted.delete(fd);
}
