import type net from 'node:net';

/**
 * How long a connection may stay silent (nothing read, nothing written) before it is dropped:
 * a client that never reads or never closes must not hold a shutdown forever.
 */
export const SILENCE_TIMEOUT_MS = 30_000;

/** Counts the connections a server has open and served, and notices when it has been idle for a while. */
export class Connections {
  open = 0;
  served = 0;
  #servedListener: ((served: number) => void) | undefined;
  #idle: { ms: number; onIdle: () => void; timer?: NodeJS.Timeout } | undefined;

  track(socket: net.Socket): void {
    this.open++;
    clearTimeout(this.#idle?.timer);
    socket.setTimeout(SILENCE_TIMEOUT_MS, () => socket.destroy());
    // A client that resets the connection loses its reply; the daemon carries on.
    socket.on('error', () => socket.destroy());
    socket.on('finish', () => this.#servedListener?.(++this.served));
    socket.on('close', () => {
      if (--this.open === 0) this.#armIdle();
    });
  }

  onServed(listener: (served: number) => void): void {
    this.#servedListener = listener;
  }

  /** Calls onIdle once no connection has been open for ms milliseconds. */
  onIdle(ms: number, onIdle: () => void): void {
    this.#idle = { ms, onIdle };
    if (this.open === 0) this.#armIdle();
  }

  #armIdle(): void {
    const idle = this.#idle;
    if (idle !== undefined) idle.timer = setTimeout(idle.onIdle, idle.ms);
  }
}

/** "1 connection", "2 connections". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
