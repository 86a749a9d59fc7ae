import type { ChildProcess } from 'node:child_process';
import type { Event } from './events.js';

/** One running COMMAND. */
export interface Service {
  process: ChildProcess;
  pid: number;
  startedAt: number;
  watchdogMs: number | undefined;
  watchdog?: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
  /** start it again as soon as it has exited (watchdog, --watch) */
  restart: boolean;
}

/** The services running now, by pid, and how one is signalled to stop. */
export class Services {
  readonly #running = new Map<number, Service>();

  constructor(
    readonly stopTimeoutMs: number,
    readonly print: (event: Event) => void,
  ) {}

  get size(): number {
    return this.#running.size;
  }

  values(): IterableIterator<Service> {
    return this.#running.values();
  }

  add(service: Service): void {
    this.#running.set(service.pid, service);
  }

  /** Forgets a service that has exited, with its timers. */
  remove(service: Service): void {
    clearTimeout(service.watchdog);
    clearTimeout(service.killTimer);
    this.#running.delete(service.pid);
  }

  isRunning(service: Service): boolean {
    return this.#running.has(service.pid);
  }

  /**
   * The service a notification from `pid` is about. As under NotifyAccess=all, in the default mode
   * there is one service, whichever of its processes sends; with --accept, only the sender itself.
   */
  sender(pid: number | undefined, accept: boolean): Service | undefined {
    const service = this.#running.get(pid ?? -1);
    if (service !== undefined || accept) return service;
    return this.#running.values().next().value;
  }

  /** Sends `signal`, then SIGKILL if it still runs after the stop timeout (as systemd's TimeoutStopSec=). */
  signal(service: Service, signal: NodeJS.Signals): void {
    clearTimeout(service.watchdog);
    service.process.kill(signal);
    clearTimeout(service.killTimer);
    service.killTimer = setTimeout(() => {
      this.print({ event: 'stop', pid: service.pid, message: `still running ${this.stopTimeoutMs / 1000} s after ${signal}: SIGKILL` });
      signalGroup(service, 'SIGKILL');
    }, this.stopTimeoutMs);
  }

  signalAll(signal: NodeJS.Signals): void {
    for (const service of this.#running.values()) this.signal(service, signal);
  }

  /** SIGKILL to every service and whatever it started: a forced stop leaves nothing behind. */
  killAll(): void {
    for (const service of this.#running.values()) signalGroup(service, 'SIGKILL');
  }
}

/**
 * Signals the service's whole process group: each service leads a session of its own, so its pid
 * is its group's id, and the group holds what it started (workers, a shell's children).
 */
export function signalGroup(service: Service, signal: NodeJS.Signals): void {
  try {
    process.kill(-service.pid, signal);
  } catch {
    // ESRCH: the group is gone already, and its 'exit' is on its way
  }
}
