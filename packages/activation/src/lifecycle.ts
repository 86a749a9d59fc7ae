import type { Server, Socket } from 'node:net';
import { invalid } from './errors.js';
import { closeHttpConnectionsOnStop } from './http-stop.js';
import { notify } from './notify.js';

/** How long a connection may stay silent by default before it is dropped. */
export const DEFAULT_SILENCE_TIMEOUT_MS = 30_000;

// setTimeout silently turns longer delays into 1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ServeOptions {
  /** Signals that start a graceful stop, the signal's name being the reason. Default SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
  /**
   * Stop (reason `idle`) after this long with no connection open. Default: never. Give it only
   * to a socket-activated process: one started any other way has nothing to start it again.
   */
  idleTimeoutMs?: number | undefined;
  /**
   * Drop a connection after this long with nothing read or written, so that a client that never
   * reads or never closes cannot hold a stop forever. Default 30 000; 0 turns it off.
   */
  silenceTimeoutMs?: number | undefined;
  /** After each connection this side has finished writing (its 'finish'), with the count so far. */
  onServed?: (served: number) => void;
  /** Once, when the stop begins, with the status text also sent along with STOPPING=1. */
  onStopping?: (status: string, reason: string) => void;
  /** Once every server has closed and its last connection has ended. Default: `process.exit()`. */
  onStopped?: () => void;
}

export interface Serving {
  /** Connections open now, over all the servers. */
  readonly open: number;
  /** Connections served so far (see `onServed`). */
  readonly served: number;
  readonly stopping: boolean;
  /** Starts the graceful stop (later calls do nothing). */
  stop(reason: string): void;
}

/**
 * Runs the lifecycle every socket-activated server needs around `servers`: counts their
 * connections, keeps a client's reset or silence from hurting the process, and on a signal, an
 * idle timeout or `stop()` stops accepting, reports STOPPING=1, lets the open connections finish
 * and exits. Call it before the servers can have accepted anything (in the same tick as
 * `await listenAll(…)` resolves, say), so that it sees every connection.
 */
export function serveUntilStopped(servers: Server[], options: ServeOptions = {}): Serving {
  const { signals = ['SIGTERM', 'SIGINT'], idleTimeoutMs, silenceTimeoutMs = DEFAULT_SILENCE_TIMEOUT_MS } = options;
  if (servers.length === 0) throw invalid('servers', '[]', 'at least one server');
  checkDelay('idleTimeoutMs', idleTimeoutMs, 1);
  checkDelay('silenceTimeoutMs', silenceTimeoutMs, 0);

  let open = 0;
  let served = 0;
  let stopping = false;
  let idleTimer: NodeJS.Timeout | undefined;

  function armIdle(): void {
    if (idleTimeoutMs === undefined || stopping) return;
    idleTimer = setTimeout(() => stop('idle'), idleTimeoutMs);
    // The timer is there to end the process, never to keep it alive.
    idleTimer.unref();
  }

  function track(socket: Socket): void {
    open++;
    clearTimeout(idleTimer);
    if (silenceTimeoutMs > 0) socket.setTimeout(silenceTimeoutMs, () => socket.destroy());
    // A client that resets its connection loses its reply; the process carries on. Node destroys
    // the socket itself after 'error'; without a listener the error would crash the process.
    socket.on('error', () => {});
    socket.on('finish', () => {
      served++;
      options.onServed?.(served);
    });
    socket.on('close', () => {
      if (--open === 0) armIdle();
    });
  }

  const onSignal = (signal: NodeJS.Signals): void => stop(signal);

  function stop(reason: string): void {
    if (stopping) return;
    stopping = true;
    clearTimeout(idleTimer);
    // A second signal gets its default action: the way to end a stop that takes too long.
    for (const signal of signals) process.off(signal, onSignal);
    const status = `${reason}: no longer accepting, finishing ${open} open connection${open === 1 ? '' : 's'}`;
    const onStopped = options.onStopped ?? ((): void => process.exit());
    let closing = servers.length;
    // close() calls back once the server's last connection has ended (with an error when it was
    // not listening: done as well); setImmediate lets what this tick queued, such as the warning
    // below, out before an exit. The listening sockets are closed before anyone is told, so that
    // whoever sees STOPPING=1 finds them closed.
    for (const server of servers) server.close(() => --closing === 0 && setImmediate(onStopped));
    for (const closeHttpConnections of httpClosers) closeHttpConnections();
    options.onStopping?.(status, reason);
    try {
      notify.stopping(status);
    } catch (error) {
      // A manager that cannot be told must not keep the process from stopping.
      process.emitWarning(`STOPPING=1 not sent: ${(error as Error).message}`, { code: 'SDNODE_NOTIFY' });
    }
  }

  for (const server of servers) server.on('connection', track);
  const httpClosers = servers.map(closeHttpConnectionsOnStop);
  for (const signal of signals) process.on(signal, onSignal);
  armIdle();

  return {
    get open() {
      return open;
    },
    get served() {
      return served;
    },
    get stopping() {
      return stopping;
    },
    stop,
  };
}

function checkDelay(name: string, ms: number | undefined, min: number): void {
  if (ms === undefined) return;
  if (!Number.isFinite(ms) || ms < min || ms > MAX_TIMER_MS) {
    throw invalid(name, ms, `a number of milliseconds from ${min} to ${MAX_TIMER_MS}`);
  }
}
