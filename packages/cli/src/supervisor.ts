import type { ChildProcess } from 'node:child_process';
import { closeSync, type FSWatcher, rmSync, statSync, watch } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { constants } from 'node:os';
import { SystemdError } from '@sdnode/activation';
import {
  type HeldSocketAddress,
  holdSocket,
  type Notification,
  type NotifyReceiver,
  receiveNotifications,
  whenHungUp,
  whenReadable,
} from '@sdnode/activation/manager';
import { showAddress } from './address.js';
import { describeNotification, type Event } from './events.js';
import { FdStore, type StoredFd } from './fd-store.js';
import type { ActivateOptions } from './options.js';
import { spawnService } from './spawn-service.js';

interface Listener {
  fd: number;
  where: HeldSocketAddress;
  name: string;
}

interface Service {
  process: ChildProcess;
  pid: number;
  startedAt: number;
  watchdogMs: number | undefined;
  watchdog?: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
  /** start it again as soon as it has exited (watchdog, --watch) */
  restart: boolean;
}

// Each wait for a first connection is bounded: a stop or a new state is seen within this long.
const WAIT_SLICE_MS = 500;
// A service that fails sooner than this after its start is started again only after the same
// pause, so a service that cannot start does not spin (connections keep waiting meanwhile).
const RESTART_PAUSE_MS = 1000;
const WATCH_SETTLE_MS = 150;
// poll() takes at most this many fds at a time: a larger store is watched in turns.
const POLL_MAX_FDS = 64;
// Variables sdnode sets itself: never passed through from its own environment.
const MANAGED = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES', 'NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'];

/**
 * The manager's part of `sdnode activate`: holds the sockets, starts COMMAND on the first
 * connection (or one per connection with --accept), receives its notifications, keeps its fd
 * store, runs the watchdog, passes SIGHUP on, restarts on --watch changes, stops it on SIGTERM.
 */
export class Supervisor {
  readonly #options: ActivateOptions;
  readonly #print: (event: Event) => void;
  readonly #listeners: Listener[] = [];
  readonly #servers: Server[] = [];
  readonly #services = new Map<number, Service>();
  readonly #store: FdStore;
  readonly #watchers: FSWatcher[] = [];
  readonly #baseEnv: NodeJS.ProcessEnv;
  #receiver: NotifyReceiver | undefined;
  #waiting = false;
  #pollingStore = false;
  #stopping = false;
  #lastStatus = 0;
  #watchTimer: NodeJS.Timeout | undefined;

  constructor(options: ActivateOptions, print: (event: Event) => void, env: NodeJS.ProcessEnv = process.env) {
    this.#options = options;
    this.#print = print;
    this.#store = new FdStore(options.accept ? 0 : options.fdStoreMax);
    this.#baseEnv = Object.fromEntries(Object.entries(env).filter(([name]) => !MANAGED.includes(name)));
  }

  /**
   * Opens every socket, the notify receiver and the watchers, then waits for connections.
   * Throws a SystemdError naming the address: EADDRINUSE, EACCES, EADDRNOTAVAIL, …; or the
   * --watch path that does not exist (ENOENT). Nothing stays open when it throws.
   */
  start(): void {
    try {
      this.#options.listen.forEach((where, i) => {
        const fd = holdSocket(where);
        this.#listeners.push({ fd, where, name: this.#options.fdNames[i] as string });
        this.#print({
          event: 'listening',
          message: `listening on ${showAddress(where)} as fd ${3 + i}`,
          address: showAddress(where),
          fd: 3 + i,
        });
      });
      for (const path of this.#options.watch) this.#watch(path);
      this.#receiver = receiveNotifications(
        `@sdnode/${process.pid}/notify`,
        (n) => this.#notified(n),
        (error) => this.#print({ event: 'error', message: `notifications stopped: ${error.message}` }),
      );
    } catch (error) {
      this.#close();
      throw error;
    }
    process.on('SIGINT', () => this.#stop('SIGINT'));
    process.on('SIGTERM', () => this.#stop('SIGTERM'));
    process.on('SIGHUP', () => this.#reload());
    if (this.#options.accept) this.#acceptConnections();
    else this.#waitForConnection();
  }

  // Default mode: nothing is accepted here. The sockets are polled for readability (a pending
  // connection or datagram) on the thread pool; the first readable one starts the service, which
  // accepts that connection itself. Node's own servers would accept it in this process instead.
  #waitForConnection(): void {
    if (this.#waiting || this.#services.size > 0 || this.#stopping) return;
    this.#waiting = true;
    const fds = this.#listeners.map((listener) => listener.fd);
    const wait = async (): Promise<void> => {
      try {
        while (this.#services.size === 0 && !this.#stopping) {
          const ready = await whenReadable(fds, WAIT_SLICE_MS);
          if (ready.length === 0 || this.#services.size > 0 || this.#stopping) continue;
          const listener = this.#listeners.find((candidate) => candidate.fd === ready[0]) as Listener;
          this.#startService(`${this.#options.listen[0]?.type === 'dgram' ? 'datagram' : 'connection'} on ${showAddress(listener.where)}`);
        }
      } finally {
        this.#waiting = false;
      }
    };
    wait().catch((error: Error) => this.#fail(`cannot wait for connections: ${error.message}`));
  }

  #startService(reason: string): void {
    const fds = [...this.#listeners.map((listener) => listener.fd), ...this.#store.entries.map((stored) => stored.fd)];
    const names = [...this.#listeners.map((listener) => listener.name), ...this.#store.entries.map((stored) => stored.name)];
    const env: NodeJS.ProcessEnv = {
      ...this.#baseEnv,
      ...this.#options.env,
      LISTEN_FDS: String(fds.length),
      LISTEN_FDNAMES: names.join(':'),
    };
    this.#launch(reason, { passed: fds, env, listenPid: true }, `LISTEN_FDS=${fds.length} LISTEN_FDNAMES=${names.join(':')}`);
  }

  // --accept: here Node does accept, one service per connection; pauseOnConnect keeps every
  // byte unread for the service, which gets the connection as fd 3 (or 0 and 1 with --inetd).
  #acceptConnections(): void {
    for (const listener of this.#listeners) {
      const server = createServer({ pauseOnConnect: true }, (socket) => this.#startForConnection(socket, listener));
      server.on('error', (error) => this.#print({ event: 'error', message: `${showAddress(listener.where)}: ${error.message}` }));
      server.listen({ fd: listener.fd });
      this.#servers.push(server);
    }
  }

  #startForConnection(socket: Socket, listener: Listener): void {
    if (this.#stopping) {
      socket.destroy();
      return;
    }
    const remote = socket.remoteAddress === undefined ? {} : { REMOTE_ADDR: socket.remoteAddress, REMOTE_PORT: String(socket.remotePort) };
    const env: NodeJS.ProcessEnv = { ...this.#baseEnv, ...this.#options.env, ...remote };
    const from = socket.remoteAddress === undefined ? showAddress(listener.where) : `${socket.remoteAddress}:${socket.remotePort}`;
    try {
      if (this.#options.inetd) {
        this.#launch(
          `connection from ${from}`,
          { passed: [], inetdConnection: socket, env, listenPid: false },
          'connection on fds 0 and 1',
        );
      } else {
        env.LISTEN_FDS = '1';
        env.LISTEN_FDNAMES = listener.name;
        this.#launch(`connection from ${from}`, { passed: [socket], env, listenPid: true }, `LISTEN_FDS=1 LISTEN_FDNAMES=${listener.name}`);
      }
    } finally {
      socket.destroy(); // the service has its own copy now
    }
  }

  #launch(
    reason: string,
    start: { passed: (number | Socket)[]; inetdConnection?: Socket; env: NodeJS.ProcessEnv; listenPid: boolean },
    passed: string,
  ): void {
    const watchdogUsec = this.#options.watchdogUsec;
    const env: NodeJS.ProcessEnv = { ...start.env, NOTIFY_SOCKET: this.#receiver?.address };
    if (watchdogUsec !== undefined) env.WATCHDOG_USEC = String(watchdogUsec);
    const child = spawnService({ ...start, command: this.#options.command, env, watchdogPid: watchdogUsec !== undefined });
    if (child.pid === undefined) {
      child.once('error', (error) => this.#fail(`cannot start ${this.#options.command[0]}: ${error.message}`));
      return;
    }
    const service: Service = {
      process: child,
      pid: child.pid,
      startedAt: Date.now(),
      watchdogMs: watchdogUsec === undefined ? undefined : Number(watchdogUsec) / 1000,
      restart: false,
    };
    this.#services.set(child.pid, service);
    this.#print({
      event: 'start',
      pid: child.pid,
      message: `started (${reason}): ${this.#options.command.join(' ')} (${passed})`,
      reason,
    });
    child.once('exit', (code, signal) => this.#exited(service, code, signal));
    // A failed kill() is reported here; unheard, it would end sdnode.
    child.on('error', (error) => this.#print({ event: 'error', pid: service.pid, message: error.message }));
  }

  #exited(service: Service, code: number | null, signal: NodeJS.Signals | null): void {
    // What it sent before it exited comes first (its STOPPING=1, say), and is not lost if sdnode ends now.
    this.#receiver?.flush();
    clearTimeout(service.watchdog);
    clearTimeout(service.killTimer);
    this.#services.delete(service.pid);
    const status = code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
    this.#lastStatus = status;
    const how = signal === null ? `exited with status ${code}` : `was killed by ${signal}`;
    this.#print({ event: 'exit', pid: service.pid, message: how, status, signal });
    if (this.#stopping) {
      if (this.#services.size === 0) this.#finish(this.#lastStatus);
      return;
    }
    if (this.#options.accept) return;
    if (service.restart) {
      this.#startService('restart');
      return;
    }
    if (status !== 0 && Date.now() - service.startedAt < RESTART_PAUSE_MS) {
      this.#print({
        event: 'restart',
        message: `failed within ${RESTART_PAUSE_MS} ms of its start: waiting ${RESTART_PAUSE_MS} ms before the next start`,
      });
      setTimeout(() => this.#waitForConnection(), RESTART_PAUSE_MS);
      return;
    }
    this.#waitForConnection();
  }

  #notified(notification: Notification): void {
    const fields = new Map<string, string>();
    for (const [key, value] of notification.fields) if (!fields.has(key)) fields.set(key, value);
    this.#print({
      event: 'notify',
      pid: notification.pid,
      message: describeNotification(notification),
      fields: Object.fromEntries(fields),
      fds: notification.fds.length,
      ...(notification.dropped === undefined ? {} : { dropped: notification.dropped }),
    });
    const fds = notification.fds;
    if (notification.dropped !== undefined) {
      closeAll(fds);
      return;
    }
    // As under NotifyAccess=all: in the default mode there is one service, whichever process of it sends.
    const service = this.#services.get(notification.pid ?? -1) ?? (this.#options.accept ? undefined : [...this.#services.values()][0]);
    if (service !== undefined) this.#watchdogFields(service, fields);
    // BARRIER=1: everything before it is processed once its fd is closed; the sender waits for that.
    if (fields.get('BARRIER') === '1') {
      closeAll(fds);
      return;
    }
    const name = fields.get('FDNAME');
    if (fields.get('FDSTOREREMOVE') === '1' && name !== undefined) {
      const removed = this.#store.remove(name);
      this.#print({
        event: 'fdstore',
        pid: notification.pid,
        message: `fd store: removed ${removed} fd${removed === 1 ? '' : 's'} named ${JSON.stringify(name)}`,
      });
    }
    if (fds.length === 0) return;
    if (fields.get('FDSTORE') !== '1') {
      this.#print({
        event: 'fdstore',
        pid: notification.pid,
        message: `closed ${fds.length} fd${fds.length === 1 ? '' : 's'} sent without FDSTORE=1`,
      });
      closeAll(fds);
      return;
    }
    const storedName = name ?? 'stored';
    if (this.#options.accept) {
      this.#print({
        event: 'fdstore',
        pid: notification.pid,
        message: 'fd store: not kept with --accept (every connection starts afresh); fds closed',
      });
      closeAll(fds);
      return;
    }
    // As systemd reads it: any FDPOLL=0 line turns the polling off, whatever comes first.
    const poll = !notification.fields.some(([key, value]) => key === 'FDPOLL' && value === '0');
    const { kept, closed, reason } = this.#store.add(fds, storedName, poll);
    const note = closed > 0 ? `; ${closed} closed (${reason ?? 'already stored'})` : '';
    const watched = kept > 0 && !poll ? '; not watched for a hang-up (FDPOLL=0)' : '';
    this.#print({
      event: 'fdstore',
      pid: notification.pid,
      message: `fd store: kept ${kept} fd${kept === 1 ? '' : 's'} named ${JSON.stringify(storedName)} (${this.#store.entries.length} stored)${watched}${note}`,
      kept,
      stored: this.#store.entries.length,
      poll,
    });
    this.#pollStore();
  }

  // As systemd does unless FDPOLL=0: a stored fd that hangs up or fails (POLLHUP, POLLERR; a client
  // gone while its connection was stored) is dropped, so that the next instance is not handed a dead
  // connection and the store does not fill with them. Readability does not count: a stored
  // connection's unread bytes are the next instance's. Runs while there is something to watch.
  #pollStore(): void {
    if (this.#pollingStore || this.#stopping) return;
    this.#pollingStore = true;
    let turn = 0;
    const watch = async (): Promise<void> => {
      try {
        for (;;) {
          const polled = this.#store.entries.filter((stored) => stored.poll);
          if (polled.length === 0 || this.#stopping) return;
          turn = (turn + POLL_MAX_FDS) % (Math.ceil(polled.length / POLL_MAX_FDS) * POLL_MAX_FDS);
          const watched = polled.slice(turn, turn + POLL_MAX_FDS);
          const hungUp = await whenHungUp(
            watched.map((stored) => stored.fd),
            WAIT_SLICE_MS,
          );
          for (const fd of hungUp) this.#dropHungUp(watched.find((stored) => stored.fd === fd) as StoredFd);
        }
      } finally {
        this.#pollingStore = false;
      }
    };
    watch().catch((error: Error) => this.#print({ event: 'error', message: `fd store: cannot watch the stored fds: ${error.message}` }));
  }

  #dropHungUp(stored: StoredFd): void {
    if (this.#stopping || !this.#store.drop(stored)) return;
    this.#print({
      event: 'fdstore',
      message: `fd store: dropped an fd named ${JSON.stringify(stored.name)}: it hung up (POLLHUP or POLLERR) (${this.#store.entries.length} stored)`,
      dropped: 1,
      stored: this.#store.entries.length,
    });
  }

  #watchdogFields(service: Service, fields: Map<string, string>): void {
    const usec = fields.get('WATCHDOG_USEC');
    if (usec !== undefined && /^[0-9]+$/.test(usec) && usec !== '0') service.watchdogMs = Number(usec) / 1000;
    if (fields.get('WATCHDOG') === 'trigger') {
      this.#watchdogExpired(service, 'the service triggered its watchdog');
      return;
    }
    // As under systemd, the watchdog runs once start-up is complete: from READY=1 on.
    if (fields.get('READY') === '1' || fields.get('WATCHDOG') === '1' || usec !== undefined) this.#feedWatchdog(service);
  }

  #feedWatchdog(service: Service): void {
    clearTimeout(service.watchdog);
    if (service.watchdogMs === undefined || this.#stopping) return;
    const ms = service.watchdogMs;
    service.watchdog = setTimeout(() => this.#watchdogExpired(service, `no WATCHDOG=1 within ${ms / 1000} s`), ms);
  }

  // As systemd's default WatchdogSignal=SIGABRT, then SIGKILL; Restart=on-watchdog starts it again.
  #watchdogExpired(service: Service, why: string): void {
    if (!this.#services.has(service.pid) || service.restart) return;
    this.#print({ event: 'watchdog', pid: service.pid, message: `watchdog: ${why}: killing it (SIGABRT) and starting it again` });
    service.restart = !this.#options.accept;
    this.#signal(service, 'SIGABRT');
  }

  #signal(service: Service, signal: NodeJS.Signals): void {
    clearTimeout(service.watchdog);
    service.process.kill(signal);
    clearTimeout(service.killTimer);
    service.killTimer = setTimeout(() => {
      this.#print({
        event: 'stop',
        pid: service.pid,
        message: `still running ${this.#options.stopTimeoutMs / 1000} s after ${signal}: SIGKILL`,
      });
      service.process.kill('SIGKILL');
    }, this.#options.stopTimeoutMs);
  }

  #watch(path: string): void {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (cause) {
      throw new SystemdError(`--watch ${JSON.stringify(path)}: no such file or directory`, 'ENOENT', {
        subject: '--watch',
        value: path,
        cause,
      });
    }
    const watcher = watch(path, { recursive: isDirectory, persistent: false }, () => {
      clearTimeout(this.#watchTimer);
      // An editor's save is several events: restart once they have settled.
      this.#watchTimer = setTimeout(() => this.#changed(path), WATCH_SETTLE_MS);
    });
    watcher.on('error', (error) => this.#print({ event: 'error', message: `--watch ${path}: ${error.message}` }));
    this.#watchers.push(watcher);
  }

  #changed(path: string): void {
    if (this.#stopping) return;
    if (this.#options.accept || this.#services.size === 0) {
      this.#print({ event: 'restart', message: `${path} changed: the next connection starts the new code` });
      return;
    }
    for (const service of this.#services.values()) {
      if (service.restart) continue;
      this.#print({
        event: 'restart',
        pid: service.pid,
        message: `${path} changed: restarting (SIGTERM); connections wait in the backlog`,
      });
      service.restart = true;
      this.#signal(service, 'SIGTERM');
    }
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

  #stop(signal: NodeJS.Signals): void {
    if (this.#stopping) {
      this.#print({ event: 'stop', message: `${signal} again: SIGKILL` });
      for (const service of this.#services.values()) service.process.kill('SIGKILL');
      return;
    }
    this.#stopping = true;
    this.#print({ event: 'stop', message: `${signal}: stopping${this.#services.size > 0 ? ' (SIGTERM)' : ''}` });
    for (const server of this.#servers) server.close();
    if (this.#services.size === 0) {
      this.#finish(0);
      return;
    }
    for (const service of this.#services.values()) this.#signal(service, 'SIGTERM');
  }

  #fail(message: string): void {
    this.#print({ event: 'error', message });
    this.#stopping = true;
    for (const service of this.#services.values()) this.#signal(service, 'SIGTERM');
    if (this.#services.size === 0) this.#finish(1);
  }

  #finish(status: number): never {
    this.#close();
    process.exit(status);
  }

  #close(): void {
    this.#receiver?.close();
    for (const watcher of this.#watchers) watcher.close();
    for (const server of this.#servers) server.close();
    // In --accept mode each server owns its fd.
    if (this.#servers.length === 0) closeAll(this.#listeners.map((listener) => listener.fd));
    closeAll(this.#store.entries.map((stored) => stored.fd));
    for (const { where } of this.#listeners)
      if (where.family === 'unix' && where.address.startsWith('/')) rmSync(where.address, { force: true });
  }
}

function closeAll(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // already closed: nothing to release
    }
  }
}
