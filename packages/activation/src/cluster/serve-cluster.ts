import type { Cluster as NodeCluster, Worker } from 'node:cluster';
import { listensWithin, retire } from './handover.js';
import { watchPassedSockets } from './passed-sockets.js';
import { checkDelay } from '../durations.js';
import { CrashBackoff, STABLE_AFTER_MS } from './crash-backoff.js';
import { invalid } from '../errors.js';
import { DEFAULT_STOP_DEADLINE_MS } from '../serve/serve-until-stopped.js';
import { notify } from '../notify/notify.js';
import { oneAtATime } from '../one-at-a-time.js';
import { onReload } from '../notify/reload.js';

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
  // Loaded only here: most processes never need it.
  const cluster = process.getBuiltinModule('node:cluster') as unknown as NodeCluster;
  if (!cluster.isPrimary) throw invalid('cluster.isPrimary', false, 'serveCluster() called in the primary');

  // Through onReload, the one place RELOADING=1 / READY=1 are told, a failed roll included;
  // first, as it throws when the program has a reload handler of its own.
  const offReload =
    reloadSignal === false
      ? undefined
      : onReload(
          async () => {
            const text = await restart();
            ready ||= serving() === workers; // onReload tells READY=1 with this text
            return text;
          },
          { signal: reloadSignal },
        );

  const alive = new Set<Worker>();
  const listening = new Set<Worker>();
  // Not counted and never replaced: a roll's new worker until it takes over, an old one it stops.
  const incoming = new Set<Worker>();
  const retiring = new Set<Worker>();
  const replacements = new Set<NodeJS.Timeout>();
  const backoff = new CrashBackoff();
  const lostSocket = watchPassedSockets();
  let stopping = false;
  let ready = false;

  const serving = (): number => [...listening].filter((w) => !incoming.has(w) && !retiring.has(w)).length;
  const status = (): string => `${serving()} of ${workers} workers listening`;
  /** READY=1 with the first STATUS that has every worker listening, STATUS alone before and after. */
  const report = (text: string): void => {
    if (!ready && serving() === workers) {
      ready = true;
      notify.ready(text);
    } else notify.status(text);
  };
  const fork = (): Worker | undefined => {
    const lost = lostSocket();
    if (lost !== undefined) {
      // Better than workers that can never listen: the manager holds the socket and starts us again.
      const why = `node:cluster closed the activated socket fd ${lost} as its last worker exited; no new worker can listen on it`;
      process.emitWarning(`${why}: exiting with status 1 for the manager to start the service again`, { code: 'SDNODE_CLUSTER' });
      process.exitCode = 1;
      setImmediate(() => stop(why)); // after the warning is out: the stop may exit at once
      return undefined;
    }
    const worker = cluster.fork({ NOTIFY_SOCKET: undefined });
    alive.add(worker);
    // A message to a worker that has just died (the disconnect() of a roll) fails with EPIPE on
    // its channel, emitted here; unheard, it would end the primary. Its 'exit' follows anyway.
    worker.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_IPC_CHANNEL_CLOSED') return;
      process.emitWarning(`worker ${worker.process.pid}: ${error.message}`, { code: 'SDNODE_CLUSTER' });
    });
    return worker;
  };

  cluster.on('listening', (worker) => {
    if (stopping || listening.has(worker)) return;
    listening.add(worker);
    // Up for a while: whatever killed the workers before has passed.
    setTimeout(() => {
      if (!worker.isDead()) backoff.reset();
    }, STABLE_AFTER_MS).unref();
    if (!incoming.has(worker)) report(status()); // the roll reports its own
  });
  cluster.on('exit', (worker, code, signal) => {
    alive.delete(worker);
    listening.delete(worker);
    const planned = incoming.delete(worker) || retiring.delete(worker);
    if (stopping) {
      if (alive.size === 0) process.exit();
      return;
    }
    if (planned) return; // the roll reports it
    const why = `worker ${worker.process.pid} exited (${signal ?? code})`;
    const delay = backoff.nextDelayMs();
    if (delay === 0) {
      notify.status(`${status()}; ${why}, replacing it`);
      fork();
      return;
    }
    notify.status(`${status()}; ${why}, ${backoff.inARow} in a row: backing off, replacing it in ${delay} ms`);
    const timer = setTimeout(() => {
      replacements.delete(timer);
      if (!stopping) fork();
    }, delay);
    replacements.add(timer);
  });

  /** Takes `worker` out of the count and stops it gracefully (see cluster-handover.ts). */
  function retireWorker(worker: Worker): Promise<void> {
    if (!worker.isDead()) retiring.add(worker);
    return retire(worker, stopDeadlineMs);
  }

  async function roll(): Promise<string> {
    const old = [...alive].filter((w) => !retiring.has(w) && !incoming.has(w));
    let replaced = 0;
    const endedByStop = (): Error => new Error(`rolling restart ended by the stop after ${replaced} of ${old.length} workers`);
    for (const previous of old) {
      if (stopping) throw endedByStop();
      // Died (and was replaced) meanwhile: its replacement is new already.
      if (previous.isDead()) continue;
      const next = fork();
      if (next === undefined) throw endedByStop();
      incoming.add(next);
      notify.status(`${status()}; rolling restart: starting worker ${next.process.pid} to replace ${previous.process.pid}`);
      if (!listening.has(next) && !(await listensWithin(next, listenTimeoutMs))) {
        const why = next.isDead()
          ? `new worker ${next.process.pid} exited before it listened`
          : `new worker ${next.process.pid} did not listen within ${listenTimeoutMs} ms`;
        incoming.delete(next);
        await retireWorker(next);
        if (stopping) throw endedByStop();
        const kept = old.length - replaced;
        throw new Error(
          `rolling restart given up after ${replaced} of ${old.length} workers: ${why}; kept ${kept} old worker${kept === 1 ? '' : 's'}`,
        );
      }
      incoming.delete(next);
      const drained = retireWorker(previous);
      notify.status(`${status()}; rolling restart: worker ${next.process.pid} took over, ${previous.process.pid} draining`);
      await drained;
      replaced++;
    }
    return `${status()}; rolling restart done: replaced ${replaced} worker${replaced === 1 ? '' : 's'}`;
  }

  const restart = oneAtATime(roll);

  function restartWorkers(): Promise<string> {
    return restart().then(
      (text) => {
        report(text);
        return text;
      },
      (error: unknown) => {
        notify.status(`${status()}; ${(error as Error).message}`);
        throw error;
      },
    );
  }

  const ignore = (): void => {};

  function stop(reason: string): void {
    if (stopping) return;
    stopping = true;
    for (const signal of signals) process.off(signal, stop);
    if (offReload && reloadSignal !== false) {
      offReload();
      // A reload asked for during the stop is not one: without a handler the signal would end the primary.
      process.on(reloadSignal, ignore);
    }
    for (const timer of replacements) clearTimeout(timer);
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
      return serving();
    },
    get stopping() {
      return stopping;
    },
    restartWorkers,
    stop,
  };
}
