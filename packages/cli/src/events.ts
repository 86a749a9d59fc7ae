import type { Notification } from '@sdnode/activation/manager';

/** One thing worth telling the developer: a notification from COMMAND, or what sdnode did. */
export interface Event {
  /** notify: a message from COMMAND; the others are sdnode's own doing */
  event:
    | 'listening'
    | 'start'
    | 'exit'
    | 'notify'
    | 'watchdog'
    | 'fdstore'
    | 'reload'
    | 'restart'
    | 'stop'
    | 'suspend'
    | 'resume'
    | 'error';
  /** the process the event is about */
  pid?: number;
  message: string;
  [detail: string]: unknown;
}

/** Writes events to stderr: one readable line each, or one JSON object per line with --json. */
export function eventPrinter(json: boolean, write: (line: string) => void = (line) => process.stderr.write(line)): (event: Event) => void {
  return (event) => {
    const time = new Date();
    if (json) {
      write(`${JSON.stringify({ time: time.toISOString(), ...event })}\n`);
      return;
    }
    const clock = `${time.toTimeString().slice(0, 8)}.${String(time.getMilliseconds()).padStart(3, '0')}`;
    const who = event.pid === undefined ? 'sdnode' : `pid ${event.pid}`;
    write(`${clock} ${who.padEnd(10)} ${event.message}\n`);
  };
}

const FLAG_WORDS: Record<string, string> = {
  READY: 'ready',
  STOPPING: 'stopping',
  RELOADING: 'reloading',
  BARRIER: 'barrier (released: sdnode closes its fd)',
  FDSTOREREMOVE: 'remove stored fds',
};

/** A notification in words: "ready; status: Serving on 3", "watchdog ping", "error: errno 2 (ENOENT)". */
export function describeNotification(notification: Notification): string {
  const parts: string[] = [];
  for (const [key, value] of notification.fields) {
    if (key in FLAG_WORDS && value === '1') parts.push(FLAG_WORDS[key] as string);
    else if (key === 'STATUS') parts.push(`status: ${value}`);
    else if (key === 'WATCHDOG' && value === '1') parts.push('watchdog ping');
    else if (key === 'WATCHDOG' && value === 'trigger') parts.push('watchdog triggered by the service');
    else if (key === 'WATCHDOG_USEC') parts.push(`watchdog interval set to ${usecText(value)}`);
    else if (key === 'EXTEND_TIMEOUT_USEC') parts.push(`asks for ${usecText(value)} more`);
    else if (key === 'ERRNO') parts.push(`error: errno ${value}`);
    else if (key === 'BUSERROR') parts.push(`error: ${value}`);
    else if (key === 'FDSTORE' && value === '1') parts.push('store fds');
    else if (key === 'FDNAME') parts.push(`named ${JSON.stringify(value)}`);
    else parts.push(`${key}=${value}`);
  }
  for (const line of notification.malformed) parts.push(`not KEY=VALUE: ${JSON.stringify(line)}`);
  if (notification.fds.length > 0) parts.push(`${notification.fds.length} fd${notification.fds.length === 1 ? '' : 's'} passed`);
  if (notification.dropped !== undefined) parts.push(`(systemd would drop this message: ${notification.dropped})`);
  return parts.length > 0 ? parts.join('; ') : '(empty message)';
}

function usecText(raw: string): string {
  const usec = Number(raw);
  return Number.isFinite(usec) ? `${usec / 1e6} s` : JSON.stringify(raw);
}
