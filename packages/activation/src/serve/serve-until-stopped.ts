import type { Server } from 'node:net';
import { type ConnectionPolicy, connectionPolicy } from './connection-policy.js';
import { checkDelay } from '../durations.js';
import { invalid } from '../errors.js';
import { closeServers, exitAfterStop, tellStopping } from './graceful-stop.js';
import { closeHttpConnectionsOnStop } from './http-stop.js';
import { OpenConnections } from './open-connections.js';
import { servedStatus } from '../notify/served-status.js';

/**
 * How long a graceful stop waits for the open connections by default: well under systemd's
 * TimeoutStopSec= (90 s), so that the process, not SIGKILL, ends the stop and says what it cut.
 */
export const DEFAULT_STOP_DEADLINE_MS = 10_000;

export interface ServeOptions extends ConnectionPolicy {
  /** Signals that start a graceful stop, the signal's name being the reason. Default SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
  /**
   * Stop (reason `idle`) after this long with no connection open. Default: never. Give it only
   * to a socket-activated process: one started any other way has nothing to start it again.
   */
  idleTimeoutMs?: number | undefined;
  /**
   * How long the stop lets open connections finish; past it they are destroyed ("cut").
   * Default 10 000.
   */
  stopDeadlineMs?: number | undefined;
  /** After each connection this side has finished writing (its 'finish'), with the count so far. */
  onServed?: (served: number) => void;
  /**
   * The STATUS= text for the count of connections served so far (`systemctl status` shows it):
   * sent at most once a second, with the latest count (a datagram per connection would make the
   * service manager work for each connection), and what is still waiting just before STOPPING=1.
   */
  servedStatus?: (served: number) => string;
  /** Once, when the stop begins, with the status text also sent along with STOPPING=1. */
  onStopping?: (status: string, reason: string) => void;
  /**
   * Once every server has closed and its last connection has ended, with the number of
   * connections the stop deadline cut. Default: `process.exit()`, with status 1 when some were cut
   * (unless `process.exitCode` says otherwise).
   */
  onStopped?: (cut: number) => void;
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
 * connections, serves each under the connection policy (silence timeout, resets swallowed, the
 * client's end waited for at most `lingerMs` after ours), and on a signal, an idle timeout or
 * `stop()` stops accepting, reports STOPPING=1, lets the open connections finish until the stop
 * deadline and exits. Call it before the servers can have accepted anything (in the same tick as
 * `await listenAll(…)` resolves, say), so that it sees every connection. Throws SystemdError
 * EINVAL naming a bad option, before anything is set up.
 */
export function serveUntilStopped(servers: Server[], options: ServeOptions = {}): Serving {
  const { signals, idleTimeoutMs, stopDeadlineMs, policy } = serveSettings(servers, options);
  const servedReport = options.servedStatus && servedStatus(options.servedStatus);
  let stopping = false;
  const connections = new OpenConnections(policy, idleTimeoutMs, {
    onServed(served) {
      options.onServed?.(served);
      if (!stopping) servedReport?.update(served); // once stopping, the STATUS sent with STOPPING=1 stays
    },
    onIdle: () => stop('idle'),
  });
  const onSignal = (signal: NodeJS.Signals): void => stop(signal);

  function stop(reason: string): void {
    if (stopping) return;
    stopping = true;
    connections.endIdle();
    // A second signal gets its default action: the way to end a stop at once.
    for (const signal of signals) process.off(signal, onSignal);
    const open = connections.open.size;
    const status = `${reason}: no longer accepting, finishing ${open} open connection${open === 1 ? '' : 's'}`;
    closeServers(servers, connections.open, { reason, deadlineMs: stopDeadlineMs, onStopped: options.onStopped ?? exitAfterStop });
    for (const closeHttpConnections of httpClosers) closeHttpConnections();
    options.onStopping?.(status, reason);
    tellStopping(status, servedReport);
  }

  for (const server of servers) server.on('connection', (socket) => connections.track(socket));
  const httpClosers = servers.map(closeHttpConnectionsOnStop);
  for (const signal of signals) process.on(signal, onSignal);
  connections.armIdle();

  return {
    get open() {
      return connections.open.size;
    },
    get served() {
      return connections.served;
    },
    get stopping() {
      return stopping;
    },
    stop,
  };
}

/** The options with their defaults filled in; throws SystemdError EINVAL naming a bad one. */
function serveSettings(servers: Server[], options: ServeOptions) {
  const { signals = ['SIGTERM', 'SIGINT'], idleTimeoutMs, stopDeadlineMs = DEFAULT_STOP_DEADLINE_MS } = options;
  if (servers.length === 0) throw invalid('servers', '[]', 'at least one server');
  checkDelay('idleTimeoutMs', idleTimeoutMs);
  checkDelay('stopDeadlineMs', stopDeadlineMs);
  const policy = connectionPolicy(options);
  if (options.servedStatus !== undefined && typeof options.servedStatus !== 'function') {
    throw invalid('servedStatus', options.servedStatus, 'a function from the served count to the STATUS= text');
  }
  return { signals, idleTimeoutMs, stopDeadlineMs, policy };
}
