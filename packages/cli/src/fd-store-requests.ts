import type { Notification } from '@sdnode/activation/manager';
import { closeAll } from './close-fds.js';
import type { Event } from './events.js';
import type { FdStore } from './fd-store.js';

type Print = (event: Event) => void;

/** FDSTOREREMOVE=1 with FDNAME=: closes the fds stored under that name. */
export function removeStored(store: FdStore, name: string, pid: number | undefined, print: Print): void {
  const removed = store.remove(name);
  print({ event: 'fdstore', pid, message: `fd store: removed ${removed} fd${removed === 1 ? '' : 's'} named ${JSON.stringify(name)}` });
}

/**
 * The fds a notification passed: kept under FDNAME= (systemd's default "stored") when it says
 * FDSTORE=1 and the store is on (not with --accept), closed otherwise. Returns whether any were kept.
 */
export function storeFds(
  store: FdStore,
  notification: Notification,
  fields: ReadonlyMap<string, string>,
  accept: boolean,
  print: Print,
): boolean {
  const { fds, pid } = notification;
  if (fields.get('FDSTORE') !== '1') {
    print({ event: 'fdstore', pid, message: `closed ${fds.length} fd${fds.length === 1 ? '' : 's'} sent without FDSTORE=1` });
    closeAll(fds);
    return false;
  }
  if (accept) {
    print({ event: 'fdstore', pid, message: 'fd store: not kept with --accept (every connection starts afresh); fds closed' });
    closeAll(fds);
    return false;
  }
  const name = fields.get('FDNAME') ?? 'stored';
  // As systemd reads it: any FDPOLL=0 line turns the polling off, whatever comes first.
  const poll = !notification.fields.some(([key, value]) => key === 'FDPOLL' && value === '0');
  const { kept, closed, reason } = store.add(fds, name, poll);
  const note = closed > 0 ? `; ${closed} closed (${reason ?? 'already stored'})` : '';
  const watched = kept > 0 && !poll ? '; not watched for a hang-up (FDPOLL=0)' : '';
  const stored = store.entries.length;
  print({
    event: 'fdstore',
    pid,
    message: `fd store: kept ${kept} fd${kept === 1 ? '' : 's'} named ${JSON.stringify(name)} (${stored} stored)${watched}${note}`,
    kept,
    stored,
    poll,
  });
  return true;
}
