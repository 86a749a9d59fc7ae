import { whenReadable } from '@sdnode/activation/manager';
import { showAddress } from './address.js';
import type { FdStore } from './fd-store.js';
import type { Launch } from './launch.js';
import type { Listener } from './listeners.js';

// Each wait for a first connection is bounded: a stop or a new state is seen within this long.
export const WAIT_SLICE_MS = 500;

/**
 * Default mode: nothing is accepted here. The sockets are polled for readability (a pending
 * connection or datagram) on the thread pool; the first readable one starts the service, which
 * accepts that connection itself. Node's own servers would accept it in this process instead.
 */
export class ConnectionWaiter {
  #waiting = false;

  constructor(
    readonly listeners: readonly Listener[],
    /** true while the wait should go on: no service runs and no stop is under way */
    readonly idle: () => boolean,
    readonly start: (reason: string) => void,
    readonly fail: (message: string) => void,
  ) {}

  /** Waits (once at a time) until a socket is readable, then starts the service. */
  wait(): void {
    if (this.#waiting || !this.idle()) return;
    this.#waiting = true;
    this.#loop()
      .catch((error: Error) => this.fail(`cannot wait for connections: ${error.message}`))
      .finally(() => {
        this.#waiting = false;
      });
  }

  async #loop(): Promise<void> {
    const fds = this.listeners.map((listener) => listener.fd);
    while (this.idle()) {
      const ready = await whenReadable(fds, WAIT_SLICE_MS);
      if (ready.length === 0 || !this.idle()) continue;
      const listener = this.listeners.find((candidate) => candidate.fd === ready[0]) as Listener;
      const what = listener.where.type === 'dgram' ? 'datagram' : 'connection';
      this.start(`${what} on ${showAddress(listener.where)}`);
    }
  }
}

/** The default mode's start: every listening socket, then every stored fd, by name. */
export function listeningLaunch(reason: string, listeners: readonly Listener[], store: FdStore, env: NodeJS.ProcessEnv): Launch {
  const passed = [...listeners.map((listener) => listener.fd), ...store.entries.map((stored) => stored.fd)];
  const names = [...listeners.map((listener) => listener.name), ...store.entries.map((stored) => stored.name)].join(':');
  return {
    reason,
    passed,
    env: { ...env, LISTEN_FDS: String(passed.length), LISTEN_FDNAMES: names },
    listenPid: true,
    described: `LISTEN_FDS=${passed.length} LISTEN_FDNAMES=${names}`,
  };
}
