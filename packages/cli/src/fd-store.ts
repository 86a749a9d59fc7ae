import { closeSync, fstatSync } from 'node:fs';

/** One fd kept for the service, under the name it gave (FDNAME=) or systemd's default, "stored". */
export interface StoredFd {
  fd: number;
  name: string;
  /** watched for a hang-up (POLLHUP, POLLERR), which drops it; false when stored with FDPOLL=0 */
  poll: boolean;
}

/**
 * The manager's fd store (FDSTORE=1): fds the service hands over to get back after a restart,
 * in the order received, passed after the listening sockets. As systemd does, an fd that refers
 * to a file already stored is not stored twice, and at most `max` are kept. The supervisor drops
 * those stored with `poll` once they hang up.
 */
export class FdStore {
  readonly #fds: StoredFd[] = [];

  constructor(readonly max: number) {}

  get entries(): readonly StoredFd[] {
    return this.#fds;
  }

  /**
   * Takes over `fds`; returns how many were kept (the others are closed) and why any were not. An fd
   * already stored keeps the `poll` it was stored with, as under systemd.
   */
  add(fds: number[], name: string, poll: boolean): { kept: number; closed: number; reason?: string } {
    let kept = 0;
    let reason: string | undefined;
    for (const fd of fds) {
      if (this.#fds.length >= this.max) {
        reason = this.max === 0 ? 'the fd store is off (--fdstore-max 0)' : `the fd store is full (--fdstore-max ${this.max})`;
        closeSync(fd);
      } else if (this.#fds.some((stored) => sameFile(stored.fd, fd))) {
        closeSync(fd);
      } else {
        this.#fds.push({ fd, name, poll });
        kept++;
      }
    }
    return { kept, closed: fds.length - kept, reason };
  }

  /** FDSTOREREMOVE=1: closes every fd stored under `name`; returns how many. */
  remove(name: string): number {
    let removed = 0;
    for (let i = this.#fds.length - 1; i >= 0; i--) {
      const stored = this.#fds[i] as StoredFd;
      if (stored.name !== name) continue;
      closeSync(stored.fd);
      this.#fds.splice(i, 1);
      removed++;
    }
    return removed;
  }

  /** Closes `entry` if it is still stored (FDSTOREREMOVE may have closed it meanwhile); returns whether it was. */
  drop(entry: StoredFd): boolean {
    const i = this.#fds.indexOf(entry);
    if (i < 0) return false;
    closeSync(entry.fd);
    this.#fds.splice(i, 1);
    return true;
  }
}

function sameFile(a: number, b: number): boolean {
  const x = fstatSync(a, { bigint: true });
  const y = fstatSync(b, { bigint: true });
  return x.dev === y.dev && x.ino === y.ino;
}
