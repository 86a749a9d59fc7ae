import { whenHungUp } from '@sdnode/activation/manager';
import type { Event } from './events.js';
import type { FdStore, StoredFd } from './fd-store.js';
import { WAIT_SLICE_MS } from './waiting.js';

// poll() takes at most this many fds at a time: a larger store is watched in turns.
const POLL_MAX_FDS = 64;

/**
 * As systemd does unless FDPOLL=0: a stored fd that hangs up or fails (POLLHUP, POLLERR; a client
 * gone while its connection was stored) is dropped, so that the next instance is not handed a dead
 * connection and the store does not fill with them. Readability does not count: a stored
 * connection's unread bytes are the next instance's. Runs while there is something to watch.
 */
export class StoreWatch {
  #watching = false;

  constructor(
    readonly store: FdStore,
    readonly print: (event: Event) => void,
    readonly stopping: () => boolean,
  ) {}

  /** Watches the store's polled fds, unless that is under way already. */
  watch(): void {
    if (this.#watching || this.stopping()) return;
    this.#watching = true;
    this.#loop()
      .catch((error: Error) => this.print({ event: 'error', message: `fd store: cannot watch the stored fds: ${error.message}` }))
      .finally(() => {
        this.#watching = false;
      });
  }

  async #loop(): Promise<void> {
    let turn = 0;
    for (;;) {
      const polled = this.store.entries.filter((stored) => stored.poll);
      if (polled.length === 0 || this.stopping()) return;
      turn = (turn + POLL_MAX_FDS) % (Math.ceil(polled.length / POLL_MAX_FDS) * POLL_MAX_FDS);
      const watched = polled.slice(turn, turn + POLL_MAX_FDS);
      const hungUp = await whenHungUp(
        watched.map((stored) => stored.fd),
        WAIT_SLICE_MS,
      );
      for (const fd of hungUp) this.#drop(watched.find((stored) => stored.fd === fd) as StoredFd);
    }
  }

  #drop(stored: StoredFd): void {
    if (this.stopping() || !this.store.drop(stored)) return;
    this.print({
      event: 'fdstore',
      message: `fd store: dropped an fd named ${JSON.stringify(stored.name)}: it hung up (POLLHUP or POLLERR) (${this.store.entries.length} stored)`,
      dropped: 1,
      stored: this.store.entries.length,
    });
  }
}
