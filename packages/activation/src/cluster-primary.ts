import type { Cluster as NodeCluster, Worker } from 'node:cluster';
import { checkDelay } from './connection-policy.js';
import { invalid } from './errors.js';
import { DEFAULT_STOP_DEADLINE_MS } from './lifecycle.js';
import { notify } from './notify.js';

// The manager takes notifications from the main pid only (NotifyAccess=main): in a cluster that is
// the primary, so the primary speaks for its workers. Workers are forked without NOTIFY_SOCKET,
// so that what they would send (STOPPING from serveUntilStopped, say) is not refused noise.

export interface ClusterOptions {
  /** How many workers to keep running. */
  workers: number;
  /** How long the stop waits for the workers to drain before it kills the rest. Default 10 000. */
  stopDeadlineMs?: number;
  /** Signals that stop the cluster. Default SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
}

export interface Cluster {
  /** Workers that have a server listening now. */
  readonly listening: number;
  readonly stopping: boolean;
  /** SIGTERM to every worker (each drains, see serveUntilStopped), then exit 0 once all are gone. */
  stop(reason: string): void;
}

/**
 * In a node:cluster primary: forks `workers` workers (each calls `listen()`/`listenAll()` and
 * `serveUntilStopped()` itself) and keeps that many running, a worker that dies replaced at once.
 * Tells the manager `STATUS=k of n workers listening` on every change and READY=1 once all
 * listen; on a signal STOPPING=1, SIGTERM to every worker and exit once they have all exited
 * (status 1 when the deadline had to kill some). Throws SystemdError EINVAL naming a bad option,
 * or when called outside a cluster primary.
 */
export function serveCluster(options: ClusterOptions): Cluster {
  const { workers, stopDeadlineMs = DEFAULT_STOP_DEADLINE_MS, signals = ['SIGTERM', 'SIGINT'] } = options;
  if (!Number.isInteger(workers) || workers < 1) throw invalid('workers', workers, 'a positive integer');
  checkDelay('stopDeadlineMs', stopDeadlineMs, 1);
  // Loaded only here: most processes never need it.
  const cluster = process.getBuiltinModule('node:cluster') as unknown as NodeCluster;
  if (!cluster.isPrimary) throw invalid('cluster.isPrimary', false, 'serveCluster() called in the primary');

  const alive = new Set<Worker>();
  const listening = new Set<Worker>();
  let stopping = false;
  let ready = false;
  const status = (): string => `${listening.size} of ${workers} workers listening`;
  const fork = (): void => {
    alive.add(cluster.fork({ NOTIFY_SOCKET: undefined }));
  };

  cluster.on('listening', (worker) => {
    if (stopping || listening.has(worker)) return;
    listening.add(worker);
    if (!ready && listening.size === workers) {
      ready = true;
      notify.ready(status());
    } else notify.status(status());
  });
  cluster.on('exit', (worker, code, signal) => {
    alive.delete(worker);
    listening.delete(worker);
    if (stopping) {
      if (alive.size === 0) process.exit();
      return;
    }
    notify.status(`${status()}; worker ${worker.process.pid} exited (${signal ?? code}), replacing it`);
    fork();
  });

  function stop(reason: string): void {
    if (stopping) return;
    stopping = true;
    for (const signal of signals) process.off(signal, stop);
    notify.stopping(`${reason}: draining ${alive.size} workers`);
    if (alive.size === 0) process.exit();
    for (const worker of alive) worker.process.kill('SIGTERM');
    // Ends a stop that a stuck worker would hold up; never keeps the primary alive by itself.
    setTimeout(() => {
      process.exitCode = 1;
      for (const worker of alive) worker.process.kill('SIGKILL');
    }, stopDeadlineMs).unref();
  }
  for (const signal of signals) process.on(signal, stop);
  for (let i = 0; i < workers; i++) fork();

  return {
    get listening() {
      return listening.size;
    },
    get stopping() {
      return stopping;
    },
    stop,
  };
}
