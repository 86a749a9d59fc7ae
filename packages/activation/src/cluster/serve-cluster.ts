import type { Cluster as NodeCluster } from 'node:cluster';
import { checkDelay } from '../durations.js';
import { invalid } from '../errors.js';
import { DEFAULT_STOP_DEADLINE_MS } from '../serve/serve-until-stopped.js';
import { onReload } from '../notify/reload.js';
import { type ClusterSettings, Primary } from './primary.js';

// The manager takes notifications from the main pid only (NotifyAccess=main): in a cluster that is
// the primary, so the primary speaks for its workers. Workers are forked without NOTIFY_SOCKET,
// so that what they would send (STOPPING from serveUntilStopped, say) is not refused noise.

/** How long a new worker of a rolling restart has to listen by default before the roll is given up. */
export const DEFAULT_LISTEN_TIMEOUT_MS = 30_000;

export interface ClusterOptions {
  /** How many workers to keep running. */
  workers: number;
  /** How long a stop (of the cluster, or of one old worker in a roll) waits for a drain before SIGKILL. Default 10 000. */
  stopDeadlineMs?: number;
  /** Signals that stop the cluster. Default SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
  /**
   * The signal that restarts the workers one at a time (see `restartWorkers`), reported to the
   * manager as a reload through `onReload`. Default SIGHUP (what `ExecReload=kill -HUP $MAINPID`
   * sends); `false` leaves the signal alone (and `onReload` free for the program).
   */
  reloadSignal?: NodeJS.Signals | false;
  /** How long a new worker of a rolling restart may take to listen before the roll is given up. Default 30 000. */
  listenTimeoutMs?: number;
}

export interface Cluster {
  /** Workers that have a server listening now (an old one being replaced no longer counts). */
  readonly listening: number;
  readonly stopping: boolean;
  /**
   * A rolling restart: for each worker, forks a new one, waits until it listens, then stops the
   * old one gracefully (SIGTERM, it drains; SIGKILL past `stopDeadlineMs`), so that the socket
   * never lacks a listener. Resolves with the STATUS text once every worker is new. A new worker
   * that exits or does not listen within `listenTimeoutMs` ends the roll: it is stopped, the old
   * workers not yet replaced keep serving, and the promise rejects saying so. A call during a roll
   * runs one more roll after it (any number of calls share that one), so that every worker
   * running afterwards was forked after the last call.
   */
  restartWorkers(): Promise<string>;
  /** SIGTERM to every worker (each drains, see serveUntilStopped), then exit 0 once all are gone. */
  stop(reason: string): void;
}

/**
 * In a node:cluster primary: forks `workers` workers (each calls `listen()`/`listenAll()` and
 * `serveUntilStopped()` itself) and keeps that many running: a worker that dies is replaced at
 * once, and when they keep dying with none staying up, after a wait that doubles from 100 ms to
 * 5 s (see crash-backoff.ts). Tells the manager `STATUS=k of n workers listening` on every change
 * and READY=1 once all listen; on the reload signal RELOADING=1, a rolling restart and READY=1
 * (see `restartWorkers`); on a stop signal STOPPING=1, SIGTERM to every worker and exit once they
 * have all exited (status 1 when the deadline had to kill some). Throws SystemdError EINVAL
 * naming a bad option, or when called outside a cluster primary; EEXIST from onReload when the
 * program registered a reload handler of its own (pass `reloadSignal: false`).
 */
export function serveCluster(options: ClusterOptions): Cluster {
  const settings = clusterSettings(options);
  // Loaded only here: most processes never need it.
  const cluster = process.getBuiltinModule('node:cluster') as unknown as NodeCluster;
  if (!cluster.isPrimary) throw invalid('cluster.isPrimary', false, 'serveCluster() called in the primary');
  const primary = new Primary(cluster, settings);
  // Through onReload, the one place RELOADING=1 / READY=1 are told, a failed roll included;
  // first, as it throws when the program has a reload handler of its own.
  const { reloadSignal } = settings;
  const offReload = reloadSignal === false ? undefined : onReload(() => primary.reload(), { signal: reloadSignal });
  primary.start(offReload);
  return {
    get listening() {
      return primary.serving();
    },
    get stopping() {
      return primary.stopping;
    },
    restartWorkers: () => primary.restartWorkers(),
    stop: primary.stop,
  };
}

/** The options with their defaults filled in; throws SystemdError EINVAL naming a bad one. */
function clusterSettings(options: ClusterOptions): ClusterSettings {
  const {
    workers,
    stopDeadlineMs = DEFAULT_STOP_DEADLINE_MS,
    signals = ['SIGTERM', 'SIGINT'],
    reloadSignal = 'SIGHUP',
    listenTimeoutMs = DEFAULT_LISTEN_TIMEOUT_MS,
  } = options;
  if (!Number.isInteger(workers) || workers < 1) throw invalid('workers', workers, 'a positive integer');
  checkDelay('stopDeadlineMs', stopDeadlineMs);
  checkDelay('listenTimeoutMs', listenTimeoutMs);
  if (reloadSignal !== false && (typeof reloadSignal !== 'string' || !/^SIG[A-Z0-9]+$/.test(reloadSignal))) {
    throw invalid('reloadSignal', reloadSignal, 'a signal name such as SIGHUP, or false');
  }
  return { workers, stopDeadlineMs, signals, reloadSignal, listenTimeoutMs };
}
