import type { Event } from './events.js';
import type { Service, Services } from './services.js';

// A service that fails sooner than this after its start is started again only after the same
// pause, so a service that cannot start does not spin (connections keep waiting meanwhile).
export const RESTART_PAUSE_MS = 1000;

/**
 * When the default mode's service starts next, once it has exited: at once when it was asked to
 * restart (watchdog, --watch), after a pause when it failed right after its start, else on the next
 * connection.
 */
export function nextStart(service: Service, status: number, print: (event: Event) => void): 'now' | 'after a pause' | 'on a connection' {
  if (service.restart) return 'now';
  if (status === 0 || Date.now() - service.startedAt >= RESTART_PAUSE_MS) return 'on a connection';
  print({
    event: 'restart',
    message: `failed within ${RESTART_PAUSE_MS} ms of its start: waiting ${RESTART_PAUSE_MS} ms before the next start`,
  });
  return 'after a pause';
}

/**
 * --watch saw `path` change: each running service is stopped (SIGTERM) to be started again with
 * the new code, while connections wait in the backlog; with none running (or with --accept) the
 * next connection starts the new code anyway.
 */
export function restartForChange(path: string, services: Services, accept: boolean, print: (event: Event) => void): void {
  if (accept || services.size === 0) {
    print({ event: 'restart', message: `${path} changed: the next connection starts the new code` });
    return;
  }
  for (const service of services.values()) {
    if (service.restart) continue;
    print({ event: 'restart', pid: service.pid, message: `${path} changed: restarting (SIGTERM); connections wait in the backlog` });
    service.restart = true;
    services.signal(service, 'SIGTERM');
  }
}
