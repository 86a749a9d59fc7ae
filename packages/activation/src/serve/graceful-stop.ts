import type { Server, Socket } from 'node:net';
import { notify } from '../notify/notify.js';
import type { ServedStatus } from '../notify/served-status.js';

// The steps of serveUntilStopped's stop, once it has begun: the servers closed, the open
// connections given until the deadline, the manager told.

/**
 * Closes `servers` and calls `onStopped` with the number of connections cut once the last has
 * closed: past `deadlineMs`, the connections still in `open` are destroyed (see cutOpen).
 */
export function closeServers(
  servers: Server[],
  open: Set<Socket>,
  stop: { reason: string; deadlineMs: number; onStopped: (cut: number) => void },
): void {
  let cut = 0;
  // The deadline ends the stop, never keeps the process alive by itself.
  const deadline = setTimeout(() => {
    cut = cutOpen(open, stop.reason, stop.deadlineMs);
  }, stop.deadlineMs);
  deadline.unref();
  let closing = servers.length;
  const closed = (): void => {
    if (--closing > 0) return;
    clearTimeout(deadline);
    setImmediate(() => stop.onStopped(cut));
  };
  // close() calls back once the server's last connection has ended (with an error when it was
  // not listening: done as well); setImmediate lets what this tick queued, such as the warnings,
  // out before an exit. The listening sockets are closed before anyone is told, so that
  // whoever sees STOPPING=1 finds them closed.
  for (const server of servers) server.close(closed);
}

/** Destroys the connections the deadline found open, says so in a warning and STATUS; how many. */
function cutOpen(open: Set<Socket>, reason: string, deadlineMs: number): number {
  const cut = open.size;
  if (cut === 0) return 0;
  const status = `${reason}: stop deadline of ${deadlineMs} ms passed, cut ${cut} open connection${cut === 1 ? '' : 's'}`;
  for (const socket of open) socket.destroy();
  process.emitWarning(status, { code: 'SDNODE_STOP_DEADLINE' });
  try {
    notify.status(status);
  } catch {
    // The warning above says it already; the exit must not wait for a manager that cannot be told.
  }
  return cut;
}

/** STOPPING=1 with `status`, after the served count still waiting; a failure is a warning only. */
export function tellStopping(status: string, servedReport: ServedStatus | undefined): void {
  try {
    servedReport?.flush();
    notify.stopping(status);
  } catch (error) {
    // A manager that cannot be told must not keep the process from stopping.
    process.emitWarning(`STOPPING=1 not sent: ${(error as Error).message}`, { code: 'SDNODE_NOTIFY' });
  }
}

/** The default onStopped: exit, with status 1 when some were cut (unless process.exitCode says otherwise). */
export function exitAfterStop(cut: number): void {
  if (cut > 0 && !process.exitCode) process.exitCode = 1;
  process.exit();
}
