import type { Notification } from '@sdnode/activation/manager';
import { closeAll } from './close-fds.js';
import { describeNotification, type Event } from './events.js';
import type { FdStore } from './fd-store.js';
import { removeStored, storeFds } from './fd-store-requests.js';
import type { StoreWatch } from './fd-store-watch.js';
import type { Services } from './services.js';
import type { Watchdog } from './watchdog.js';

/** What acts on a service's notifications (READY, WATCHDOG, BARRIER, FDSTORE, FDSTOREREMOVE, …). */
export interface NotificationHandlers {
  print: (event: Event) => void;
  services: Services;
  watchdog: Watchdog;
  store: FdStore;
  storeWatch: StoreWatch;
  accept: boolean;
}

/** Shows a notification, then does what it asks of the manager; every fd it passed is kept or closed. */
export function handleNotification(notification: Notification, on: NotificationHandlers): void {
  const fields = firstValues(notification);
  on.print({
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
  const service = on.services.sender(notification.pid, on.accept);
  if (service !== undefined) on.watchdog.notified(service, fields);
  // BARRIER=1: everything before it is processed once its fd is closed; the sender waits for that.
  if (fields.get('BARRIER') === '1') {
    closeAll(fds);
    return;
  }
  const name = fields.get('FDNAME');
  if (fields.get('FDSTOREREMOVE') === '1' && name !== undefined) removeStored(on.store, name, notification.pid, on.print);
  if (fds.length > 0 && storeFds(on.store, notification, fields, on.accept, on.print)) on.storeWatch.watch();
}

/** Each field's first value, as systemd reads a message. */
function firstValues(notification: Notification): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [key, value] of notification.fields) if (!fields.has(key)) fields.set(key, value);
  return fields;
}
