import type { Cluster as NodeCluster, Worker } from 'node:cluster';
import { CrashBackoff, STABLE_AFTER_MS } from './crash-backoff.js';
import { retire } from './handover.js';
import { watchPassedSockets } from './passed-sockets.js';
import { rollWorkers } from './rolling-restart.js';
import type { ClusterOptions } from './serve-cluster.js';
import { notify } from '../notify/notify.js';
import { oneAtATime } from '../one-at-a-time.js';

export type ClusterSettings = Required<ClusterOptions>;

/**
 * The primary's bookkeeping: which workers run, which listen, which a roll is handing over, and
 * what the manager is told of them (see serveCluster). Nothing happens until start().
 */
export class Primary {
  readonly alive = new Set<Worker>();
  readonly listening = new Set<Worker>();
  // Not counted and never replaced: a roll's new worker until it takes over, an old one it stops.
  readonly incoming = new Set<Worker>();
  readonly retiring = new Set<Worker>();
  private readonly replacements = new Set<NodeJS.Timeout>();
  private readonly backoff = new CrashBackoff();
  private lostSocket: () => number | undefined = () => undefined;
  private offReload: (() => void) | undefined;
  stopping = false;
  private ready = false;
  private readonly roll = oneAtATime(() => rollWorkers(this));

  constructor(
    private readonly cluster: NodeCluster,
    readonly settings: ClusterSettings,
  ) {}

  /** Watches the workers, takes the stop signals and forks the first ones; `offReload` is undone by the stop. */
  start(offReload: (() => void) | undefined): void {
    this.offReload = offReload;
    this.lostSocket = watchPassedSockets();
    this.cluster.on('listening', (worker) => this.onListening(worker));
    this.cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    for (const signal of this.settings.signals) process.on(signal, this.stop);
    for (let i = 0; i < this.settings.workers; i++) this.fork();
  }

  /** Workers listening, not counting a roll's new one nor an old one it stops. */
  serving(): number {
    return [...this.listening].filter((w) => !this.incoming.has(w) && !this.retiring.has(w)).length;
  }

  status(): string {
    return `${this.serving()} of ${this.settings.workers} workers listening`;
  }

  /** READY=1 with the first STATUS that has every worker listening, STATUS alone before and after. */
  private report(text: string): void {
    if (!this.ready && this.serving() === this.settings.workers) {
      this.ready = true;
      notify.ready(text);
    } else notify.status(text);
  }

  /** A new worker, without NOTIFY_SOCKET (the primary speaks for it); undefined once the socket is lost. */
  fork(): Worker | undefined {
    const lost = this.lostSocket();
    if (lost !== undefined) {
      this.exitForLostSocket(lost);
      return undefined;
    }
    const worker = this.cluster.fork({ NOTIFY_SOCKET: undefined });
    this.alive.add(worker);
    // A message to a worker that has just died (the disconnect() of a roll) fails with EPIPE on
    // its channel, emitted here; unheard, it would end the primary. Its 'exit' follows anyway.
    worker.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_IPC_CHANNEL_CLOSED') return;
      process.emitWarning(`worker ${worker.process.pid}: ${error.message}`, { code: 'SDNODE_CLUSTER' });
    });
    return worker;
  }

  /** Better than workers that can never listen: the manager holds the socket and starts us again. */
  private exitForLostSocket(fd: number): void {
    const why = `node:cluster closed the activated socket fd ${fd} as its last worker exited; no new worker can listen on it`;
    process.emitWarning(`${why}: exiting with status 1 for the manager to start the service again`, { code: 'SDNODE_CLUSTER' });
    process.exitCode = 1;
    setImmediate(() => this.stop(why)); // after the warning is out: the stop may exit at once
  }

  private onListening(worker: Worker): void {
    if (this.stopping || this.listening.has(worker)) return;
    this.listening.add(worker);
    // Up for a while: whatever killed the workers before has passed.
    setTimeout(() => {
      if (!worker.isDead()) this.backoff.reset();
    }, STABLE_AFTER_MS).unref();
    if (!this.incoming.has(worker)) this.report(this.status()); // the roll reports its own
  }

  private onExit(worker: Worker, code: number, signal: string | null): void {
    this.alive.delete(worker);
    this.listening.delete(worker);
    const planned = this.incoming.delete(worker) || this.retiring.delete(worker);
    if (this.stopping) {
      if (this.alive.size === 0) process.exit();
      return;
    }
    if (!planned) this.replace(`worker ${worker.process.pid} exited (${signal ?? code})`); // else the roll reports it
  }

  /** Forks the dead worker's replacement: at once, or after the crash backoff's wait. */
  private replace(why: string): void {
    const delay = this.backoff.nextDelayMs();
    if (delay === 0) {
      notify.status(`${this.status()}; ${why}, replacing it`);
      this.fork();
      return;
    }
    notify.status(`${this.status()}; ${why}, ${this.backoff.inARow} in a row: backing off, replacing it in ${delay} ms`);
    const timer = setTimeout(() => {
      this.replacements.delete(timer);
      if (!this.stopping) this.fork();
    }, delay);
    this.replacements.add(timer);
  }

  /** Takes `worker` out of the count and stops it gracefully (see handover.ts). */
  retire(worker: Worker): Promise<void> {
    if (!worker.isDead()) this.retiring.add(worker);
    return retire(worker, this.settings.stopDeadlineMs);
  }

  /** A rolling restart (see Cluster.restartWorkers), its outcome in STATUS, READY=1 once all listen. */
  restartWorkers(): Promise<string> {
    return this.roll().then(
      (text) => {
        this.report(text);
        return text;
      },
      (error: unknown) => {
        notify.status(`${this.status()}; ${(error as Error).message}`);
        throw error;
      },
    );
  }

  /** The roll on the reload signal: onReload tells RELOADING=1, then READY=1 or the failure, with its text. */
  async reload(): Promise<string> {
    const text = await this.roll();
    this.ready ||= this.serving() === this.settings.workers;
    return text;
  }

  /** SIGTERM to every worker, SIGKILL past the deadline; exits once all are gone. A signal listener too. */
  readonly stop = (reason: string): void => {
    if (this.stopping) return;
    this.stopping = true;
    for (const signal of this.settings.signals) process.off(signal, this.stop);
    this.leaveReloadSignal();
    for (const timer of this.replacements) clearTimeout(timer);
    notify.stopping(`${reason}: draining ${this.alive.size} workers`);
    if (this.alive.size === 0) process.exit();
    for (const worker of this.alive) worker.process.kill('SIGTERM');
    // Ends a stop that a stuck worker would hold up; never keeps the primary alive by itself.
    setTimeout(() => {
      process.exitCode = 1;
      for (const worker of this.alive) worker.process.kill('SIGKILL');
    }, this.settings.stopDeadlineMs).unref();
  };

  private leaveReloadSignal(): void {
    const { reloadSignal } = this.settings;
    if (this.offReload === undefined || reloadSignal === false) return;
    this.offReload();
    // A reload asked for during the stop is not one: without a handler the signal would end the primary.
    process.on(reloadSignal, ignore);
  }
}

const ignore = (): void => {};
