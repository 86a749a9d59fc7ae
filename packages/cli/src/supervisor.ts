import { constants } from 'node:os';
import type { Server, Socket } from 'node:net';
import { type NotifyReceiver, receiveNotifications } from '@sdnode/activation/manager';
import { acceptConnections, connectionLaunch } from './accepting.js';
import { closeAll } from './close-fds.js';
import type { Event } from './events.js';
import { FdStore } from './fd-store.js';
import { StoreWatch } from './fd-store-watch.js';
import { JobControl } from './job-control.js';
import { inheritedEnvironment, type Launch, launchService } from './launch.js';
import { closeListeners, type Listener, openListeners } from './listeners.js';
import { handleNotification } from './notifications.js';
import type { ActivateOptions } from './options.js';
import { nextStart, RESTART_PAUSE_MS, restartForChange } from './restarts.js';
import { type Service, Services } from './services.js';
import { canTieToParent, PARENT_DEATH_SIGNAL } from './spawn-service.js';
import { ConnectionWaiter, listeningLaunch } from './waiting.js';
import { FileWatch } from './watch-files.js';
import { Watchdog } from './watchdog.js';

const PARENT_UNTIED = `setpriv (util-linux) not found: were sdnode killed, the service would run on (nothing sends it ${PARENT_DEATH_SIGNAL})`;

/**
 * The manager's part of `sdnode activate`: holds the sockets, starts COMMAND on the first
 * connection (or one per connection with --accept), receives its notifications, keeps its fd
 * store, runs the watchdog, passes SIGHUP on, restarts on --watch changes, stops it on SIGTERM.
 * Each of those is a unit of its own; this class ties them together and owns the stop.
 */
export class Supervisor {
  readonly #options: ActivateOptions;
  readonly #print: (event: Event) => void;
  readonly #env: NodeJS.ProcessEnv;
  readonly #listeners: Listener[] = [];
  #servers: Server[] = [];
  readonly #services: Services;
  readonly #store: FdStore;
  readonly #storeWatch: StoreWatch;
  readonly #watchdog: Watchdog;
  readonly #files: FileWatch;
  readonly #waiter: ConnectionWaiter;
  #receiver: NotifyReceiver | undefined;
  #stopping = false;
  #lastStatus = 0;

  constructor(options: ActivateOptions, print: (event: Event) => void, env: NodeJS.ProcessEnv = process.env) {
    this.#options = options;
    this.#print = print;
    this.#env = { ...inheritedEnvironment(env), ...options.env };
    this.#services = new Services(options.stopTimeoutMs, print);
    this.#store = new FdStore(options.accept ? 0 : options.fdStoreMax);
    const stopping = () => this.#stopping;
    this.#storeWatch = new StoreWatch(this.#store, print, stopping);
    this.#watchdog = new Watchdog(this.#services, print, !options.accept, stopping);
    this.#files = new FileWatch(print, (path) => !this.#stopping && restartForChange(path, this.#services, options.accept, print));
    const idle = () => this.#services.size === 0 && !this.#stopping;
    this.#waiter = new ConnectionWaiter(
      this.#listeners,
      idle,
      (reason) => this.#startListening(reason),
      (message) => this.#fail(message),
    );
  }

  /**
   * Opens every socket, the notify receiver and the watchers, then waits for connections.
   * Throws a SystemdError naming the address: EADDRINUSE, EACCES, EADDRNOTAVAIL, …; or the
   * --watch path that does not exist (ENOENT). Nothing stays open when it throws.
   */
  start(): void {
    try {
      openListeners(this.#options, this.#listeners, this.#print);
      for (const path of this.#options.watch) this.#files.add(path);
      this.#receiver = receiveNotifications(
        `@sdnode/${process.pid}/notify`,
        (notification) => handleNotification(notification, this.#notificationHandlers()),
        (error) => this.#print({ event: 'error', message: `notifications stopped: ${error.message}` }),
      );
    } catch (error) {
      this.#close();
      throw error;
    }
    if (!canTieToParent) this.#print({ event: 'error', message: PARENT_UNTIED });
    this.#handleSignals();
    if (this.#options.accept)
      this.#servers = acceptConnections(this.#listeners, this.#print, (socket, l) => this.#startAccepted(socket, l));
    else this.#waiter.wait();
  }

  // The services are in sessions of their own: a terminal's keys reach sdnode alone, and it passes one signal on.
  #handleSignals(): void {
    const jobs = new JobControl(this.#services, this.#watchdog, this.#print);
    process.on('SIGINT', () => this.#stop('SIGINT'));
    process.on('SIGTERM', () => this.#stop('SIGTERM'));
    process.on('SIGQUIT', () => this.#stop('SIGQUIT'));
    process.on('SIGHUP', () => this.#reload());
    process.on('SIGTSTP', () => jobs.suspend());
    process.on('SIGCONT', () => jobs.resume());
  }

  #notificationHandlers() {
    const { accept } = this.#options;
    return {
      print: this.#print,
      services: this.#services,
      watchdog: this.#watchdog,
      store: this.#store,
      storeWatch: this.#storeWatch,
      accept,
    };
  }

  #startListening(reason: string): void {
    this.#launch(listeningLaunch(reason, this.#listeners, this.#store, this.#env));
  }

  #startAccepted(socket: Socket, listener: Listener): void {
    if (!this.#stopping) this.#launch(connectionLaunch(socket, listener, this.#options.inetd, this.#env));
  }

  #launch(launch: Launch): void {
    const cannotStart = (error: Error) => this.#fail(`cannot start ${this.#options.command[0]}: ${error.message}`);
    const service = launchService(this.#options, this.#receiver?.address, launch, this.#print, cannotStart);
    if (service === undefined) return;
    this.#services.add(service);
    service.process.once('exit', (code, signal) => this.#exited(service, code, signal));
  }

  #exited(service: Service, code: number | null, signal: NodeJS.Signals | null): void {
    // What it sent before it exited comes first (its STOPPING=1, say), and is not lost if sdnode ends now.
    this.#receiver?.flush();
    this.#services.remove(service);
    const status = code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
    this.#lastStatus = status;
    const how = signal === null ? `exited with status ${code}` : `was killed by ${signal}`;
    this.#print({ event: 'exit', pid: service.pid, message: how, status, signal });
    if (this.#stopping) {
      if (this.#services.size === 0) this.#finish(this.#lastStatus);
      return;
    }
    if (this.#options.accept) return;
    const next = nextStart(service, status, this.#print);
    if (next === 'now') this.#startListening('restart');
    else if (next === 'after a pause') setTimeout(() => this.#waiter.wait(), RESTART_PAUSE_MS);
    else this.#waiter.wait();
  }

  #reload(): void {
    if (this.#services.size === 0) {
      this.#print({ event: 'reload', message: 'SIGHUP: no service running, nothing to reload' });
      return;
    }
    for (const service of this.#services.values()) {
      this.#print({ event: 'reload', pid: service.pid, message: 'SIGHUP: passed on (reload)' });
      service.process.kill('SIGHUP');
    }
  }

  /**
   * SIGINT and SIGTERM stop the services with SIGTERM, as systemd's stop does; SIGQUIT (Ctrl-\) is
   * passed on as it is, so that a service quits as it would run alone (Node: at once, with a core
   * dump where allowed). Either way sdnode exits with the last service's status. Any second signal
   * forces the stop: SIGKILL to every service's process group.
   */
  #stop(signal: NodeJS.Signals): void {
    if (this.#stopping) {
      this.#print({ event: 'stop', message: `${signal} again: SIGKILL` });
      this.#services.killAll();
      return;
    }
    this.#stopping = true;
    const passed = signal === 'SIGQUIT' ? 'SIGQUIT' : 'SIGTERM';
    this.#print({ event: 'stop', message: `${signal}: stopping${this.#services.size > 0 ? ` (${passed})` : ''}` });
    for (const server of this.#servers) server.close();
    if (this.#services.size === 0) this.#finish(0);
    this.#services.signalAll(passed);
  }

  #fail(message: string): void {
    this.#print({ event: 'error', message });
    this.#stopping = true;
    this.#services.signalAll('SIGTERM');
    if (this.#services.size === 0) this.#finish(1);
  }

  #finish(status: number): never {
    this.#close();
    process.exit(status);
  }

  #close(): void {
    this.#receiver?.close();
    this.#files.close();
    for (const server of this.#servers) server.close();
    closeListeners(this.#listeners, this.#servers.length > 0);
    closeAll(this.#store.entries.map((stored) => stored.fd));
  }
}
