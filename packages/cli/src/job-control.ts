import type { Event } from './events.js';
import { type Service, type Services, signalGroup } from './services.js';
import type { Watchdog } from './watchdog.js';

/**
 * Ctrl-Z at a terminal (SIGTSTP) stops the whole job, as a user expects: the services, then sdnode;
 * SIGCONT (fg, bg) resumes both. The services get SIGSTOP, not SIGTSTP: in a session of their own
 * their group counts as orphaned, and the kernel discards a SIGTSTP it would stop such a group with.
 * The watchdogs are held meanwhile, or a service would be killed at once for the time it was stopped.
 */
export class JobControl {
  #suspended = false;
  /** the services whose watchdog ran when they were stopped */
  #held: Service[] = [];

  constructor(
    readonly services: Services,
    readonly watchdog: Watchdog,
    readonly print: (event: Event) => void,
  ) {}

  suspend(): void {
    this.#suspended = true;
    this.print({
      event: 'suspend',
      message: `SIGTSTP: stopping ${this.services.size} service${this.services.size === 1 ? '' : 's'} and sdnode (SIGSTOP)`,
    });
    this.#held = [...this.services.values()].filter((service) => service.watchdog !== undefined);
    for (const service of this.services.values()) {
      clearTimeout(service.watchdog);
      signalGroup(service, 'SIGSTOP');
    }
    process.kill(process.pid, 'SIGSTOP');
  }

  resume(): void {
    if (!this.#suspended) return;
    this.#suspended = false;
    this.print({ event: 'resume', message: 'SIGCONT: resuming the services' });
    for (const service of this.services.values()) signalGroup(service, 'SIGCONT');
    for (const service of this.#held) if (this.services.isRunning(service)) this.watchdog.feed(service);
    this.#held = [];
  }
}
