import { notify } from './notify.js';

/**
 * How often at most serveUntilStopped tells the manager the served count. Each STATUS= is work
 * for the service manager, PID 1 (it reads the datagram and announces the new text on D-Bus): one
 * per connection would make a busy service load the manager with each of its connections.
 */
export const SERVED_STATUS_INTERVAL_MS = 1000;

export interface ServedStatus {
  /** The count changed: sent now when nothing was sent for an interval, else with the latest count at its end. */
  update(served: number): void;
  /** Sends the count still waiting, if any, now (before STOPPING=1); the caller updates no more after it. */
  flush(): void;
}

/** STATUS=`text(served)` for the latest count, at most once every SERVED_STATUS_INTERVAL_MS. */
export function servedStatus(text: (served: number) => string): ServedStatus {
  let waiting: number | undefined;
  let interval: NodeJS.Timeout | undefined;
  const send = (served: number): void => {
    waiting = undefined;
    notify.status(text(served));
    interval = setTimeout(() => {
      interval = undefined;
      if (waiting !== undefined) send(waiting);
    }, SERVED_STATUS_INTERVAL_MS);
    interval.unref(); // never keeps the process alive: a stop flushes what waits
  };
  return {
    update(served) {
      if (interval === undefined) send(served);
      else waiting = served;
    },
    flush() {
      clearTimeout(interval);
      if (waiting !== undefined) notify.status(text(waiting));
      waiting = undefined;
    },
  };
}
