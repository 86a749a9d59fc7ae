import { MAX_QUEUED_NOTIFICATIONS } from '../limits.js';
import { nativeLoadError } from './binding.js';

// Where the native part does not load, notifications still go out: systemd's own systemd-notify
// sends them, in a child process, so that the event loop never waits for it.

/** A systemd-notify child that takes longer than this is killed. */
const FALLBACK_TIMEOUT_MS = 5_000;

interface FallbackMessage {
  address: string;
  message: string;
  coalescible: boolean;
  warnOnce: (address: string, cause: string, text: string) => void;
}
const fallbackPending: FallbackMessage[] = [];
let fallbackRunning = false;
let fallbackAnnounced = false;

/**
 * Without the native part: systemd-notify sends the fields, from its own pid, in a child process
 * that never blocks the event loop; one child at a time, so that the order holds.
 */
export function sendWithSystemdNotify(
  address: string,
  message: string,
  coalescible: boolean,
  warnOnce: (address: string, cause: string, text: string) => void,
): boolean {
  if (!fallbackAnnounced) {
    fallbackAnnounced = true;
    process.emitWarning(
      'notifications are sent by a systemd-notify child process instead of the native part: the unit needs ' +
        'NotifyAccess=all (they come from another pid), each one costs a process start (11-20 ms), and passing fds ' +
        `(fd store, BARRIER=1) is not available. Why: ${nativeLoadError()}`,
      { code: 'SDNODE_NOTIFY_FALLBACK' },
    );
  }
  if (coalescible) {
    const older = fallbackPending.findIndex((p) => p.coalescible && p.address === address);
    if (older >= 0) fallbackPending.splice(older, 1);
  }
  if (fallbackPending.length >= MAX_QUEUED_NOTIFICATIONS) {
    warnOnce(
      address,
      'full',
      `systemd-notify is slower than the notifications: ${MAX_QUEUED_NOTIFICATIONS} wait already, later ones are dropped`,
    );
    return false;
  }
  fallbackPending.push({ address, message, coalescible, warnOnce });
  if (!fallbackRunning) runSystemdNotify();
  return true;
}

function runSystemdNotify(): void {
  const next = fallbackPending.shift();
  fallbackRunning = next !== undefined;
  if (next === undefined) return;
  const args = next.message.slice(0, -1).split('\n');
  // Loaded here, not at start-up: only this fallback needs it.
  process
    .getBuiltinModule('node:child_process')
    .execFile(
      'systemd-notify',
      args,
      { env: { ...process.env, NOTIFY_SOCKET: next.address }, timeout: FALLBACK_TIMEOUT_MS, encoding: 'utf8' },
      (error, _stdout, stderr) => {
        if (error) {
          const e = error as NodeJS.ErrnoException & { killed?: boolean };
          const reason =
            e.code === 'ENOENT'
              ? 'systemd-notify is not installed'
              : e.killed
                ? `systemd-notify did not finish within ${FALLBACK_TIMEOUT_MS} ms`
                : stderr.trim() || e.message;
          next.warnOnce(next.address, 'unusable', `notifications are not delivered (${reason}); the service carries on`);
        }
        runSystemdNotify();
      },
    );
}
