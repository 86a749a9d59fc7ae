import type { Socket } from 'node:net';
import { type ConnectionPolicy, guardConnection } from './connection-policy.js';

/** What serveUntilStopped counts of its servers' connections, and when it is told. */
export interface ConnectionEvents {
  /** After each connection this side has finished writing (its 'finish'), with the count so far. */
  onServed(served: number): void;
  /** Once `idleTimeoutMs` has passed with no connection open (never when it is undefined). */
  onIdle(): void;
}

/**
 * The connections open now, the count served so far, and the idle timer that runs while none is
 * open. Each connection is served under the connection policy (see guardConnection).
 */
export class OpenConnections {
  readonly open = new Set<Socket>();
  private servedCount = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleEnded = false;

  constructor(
    private readonly policy: Required<ConnectionPolicy>,
    private readonly idleTimeoutMs: number | undefined,
    private readonly events: ConnectionEvents,
  ) {}

  get served(): number {
    return this.servedCount;
  }

  /** Counts `socket` from its 'connection' on, until its 'close'. */
  track(socket: Socket): void {
    this.open.add(socket);
    clearTimeout(this.idleTimer);
    guardConnection(socket, this.policy);
    socket.on('finish', () => {
      this.servedCount++;
      this.events.onServed(this.servedCount);
    });
    socket.on('close', () => {
      this.open.delete(socket);
      if (this.open.size === 0) this.armIdle();
    });
  }

  /** Starts the idle timeout (again), unless there is none or it has been ended. */
  armIdle(): void {
    if (this.idleTimeoutMs === undefined || this.idleEnded) return;
    this.idleTimer = setTimeout(() => this.events.onIdle(), this.idleTimeoutMs);
    // The timer is there to end the process, never to keep it alive.
    this.idleTimer.unref();
  }

  /** No idle timeout from now on: the stop has begun. */
  endIdle(): void {
    this.idleEnded = true;
    clearTimeout(this.idleTimer);
  }
}
