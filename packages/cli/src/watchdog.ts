import type { Event } from './events.js';
import type { Service, Services } from './services.js';

/**
 * The manager's watchdog (WatchdogSec=): from READY=1 on, a service that sends no WATCHDOG=1 within
 * its interval is killed with SIGABRT (systemd's default WatchdogSignal=), SIGKILL after the stop
 * timeout, and started again (Restart=on-watchdog); not so with --accept, where each connection
 * starts afresh.
 */
export class Watchdog {
  constructor(
    readonly services: Services,
    readonly print: (event: Event) => void,
    readonly restarts: boolean,
    readonly stopping: () => boolean,
  ) {}

  /** What a notification says to the watchdog: WATCHDOG=1 or READY=1 feed it, WATCHDOG_USEC= sets it, WATCHDOG=trigger fires it. */
  notified(service: Service, fields: ReadonlyMap<string, string>): void {
    const usec = fields.get('WATCHDOG_USEC');
    if (usec !== undefined && /^[0-9]+$/.test(usec) && usec !== '0') service.watchdogMs = Number(usec) / 1000;
    if (fields.get('WATCHDOG') === 'trigger') {
      this.#expired(service, 'the service triggered its watchdog');
      return;
    }
    // As under systemd, the watchdog runs once start-up is complete: from READY=1 on.
    if (fields.get('READY') === '1' || fields.get('WATCHDOG') === '1' || usec !== undefined) this.feed(service);
  }

  /** Starts the interval again. */
  feed(service: Service): void {
    clearTimeout(service.watchdog);
    if (service.watchdogMs === undefined || this.stopping()) return;
    const ms = service.watchdogMs;
    service.watchdog = setTimeout(() => this.#expired(service, `no WATCHDOG=1 within ${ms / 1000} s`), ms);
  }

  #expired(service: Service, why: string): void {
    if (!this.services.isRunning(service) || service.restart) return;
    this.print({ event: 'watchdog', pid: service.pid, message: `watchdog: ${why}: killing it (SIGABRT) and starting it again` });
    service.restart = this.restarts;
    this.services.signal(service, 'SIGABRT');
  }
}
