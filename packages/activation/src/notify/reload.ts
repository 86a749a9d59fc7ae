import { SystemdError, invalid } from '../errors.js';
import { notify, type NotifyFields } from './notify.js';
import { oneAtATime } from '../one-at-a-time.js';

/** What a reload handler returns: the STATUS text to report, or nothing for the default. */
export type ReloadHandler = () => string | undefined | Promise<string | undefined>;

export interface ReloadOptions {
  /** The signal that asks for a reload. Default SIGHUP (what `kill -HUP $MAINPID` and Type=notify-reload send). */
  signal?: NodeJS.Signals;
  /** Told when a reload failed (the service stays on its previous configuration). Default: a process warning. */
  onError?: (error: unknown) => void;
}

const DEFAULT_STATUS = 'Reloaded';
// STATUS is one line of a 4096-byte datagram.
const MAX_STATUS_CHARS = 1000;

let registered: NodeJS.Signals | undefined;

/**
 * Makes `signal` (SIGHUP by default) reload the service instead of ending it: tells the manager
 * RELOADING=1 with MONOTONIC_USEC (one datagram, as Type=notify-reload requires), awaits `handler`,
 * then READY=1 with STATUS — the handler's returned text, or "Reloaded". A handler that throws
 * leaves the service as it was: READY=1 is still sent (so `systemctl reload` does not hang), with
 * a STATUS saying the reload failed and ERRNO= when the error carries an errno. A signal that
 * arrives during a reload runs one more reload after it (any number of them are coalesced into
 * one). Returns a function that unregisters the handler; then the signal has its default
 * action again (SIGHUP ends the process).
 * The signal is caught from the moment this returns: call it before notify.ready(). Under
 * Type=notify-reload, newer systemd reads SigCgt from /proc/PID/status when READY=1 arrives and
 * fails the start (Result=protocol) if the reload signal is not caught; the service cannot tell
 * its own Type=, so nothing here can warn about the order.
 * Throws a SystemdError: EINVAL when `handler` is not a function, EEXIST when a handler is
 * already registered (one per process: the manager sees one reload at a time).
 */
export function onReload(handler: ReloadHandler, options: ReloadOptions = {}): () => void {
  if (typeof handler !== 'function') throw invalid('handler', handler, 'a function');
  const signal = options.signal ?? 'SIGHUP';
  if (registered !== undefined) {
    throw new SystemdError(`a reload handler is already registered (on ${registered}); unregister it first`, 'EEXIST');
  }
  const onError =
    options.onError ?? ((error: unknown): void => process.emitWarning(`reload failed: ${describe(error)}`, { code: 'SDNODE_RELOAD' }));

  const reload = oneAtATime(async (): Promise<void> => {
    tell({ RELOADING: 1, MONOTONIC_USEC: process.hrtime.bigint() / 1000n });
    try {
      const status = await handler();
      tell({ READY: 1, STATUS: oneLine(status ?? DEFAULT_STATUS) });
    } catch (error) {
      const failed: NotifyFields = {
        READY: 1,
        STATUS: oneLine(`Reload failed, still on the previous configuration: ${describe(error)}`),
      };
      const errno = errnoOf(error);
      if (errno !== undefined) failed.ERRNO = errno;
      tell(failed);
      try {
        onError(error);
      } catch {
        // A reporter that throws must not stop the next reload.
      }
    }
  });
  // Signals during a reload are coalesced into one more (see oneAtATime).
  const onSignal = (): void => void reload();
  process.on(signal, onSignal);
  registered = signal;
  return () => {
    if (registered !== signal) return;
    process.off(signal, onSignal);
    registered = undefined;
  };
}

/** A notification that cannot be sent must not end the service (this runs from a signal). */
function tell(fields: NotifyFields): void {
  try {
    notify.send(fields);
  } catch (error) {
    process.emitWarning(`${Object.keys(fields)[0]}=1 not sent: ${(error as Error).message}`, { code: 'SDNODE_NOTIFY' });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// The notify protocol forbids line breaks in a value; a long message would not fit a datagram.
function oneLine(text: string): string {
  const flat = String(text).replace(/[\r\n\0]+/g, ' ');
  return flat.length > MAX_STATUS_CHARS ? `${flat.slice(0, MAX_STATUS_CHARS - 1)}…` : flat;
}

/** The positive errno of a Node system error or a SystemdError (by its errno name), if any. */
function errnoOf(error: unknown): number | undefined {
  const { errno, code } = (error ?? {}) as { errno?: unknown; code?: unknown };
  if (typeof errno === 'number' && Number.isInteger(errno) && errno !== 0) return Math.abs(errno);
  if (typeof code !== 'string') return undefined;
  // node:os only here, when a reload failed: every daemon that registers a reload handler would
  // otherwise load it on its start path.
  return (process.getBuiltinModule('node:os').constants.errno as Record<string, number>)[code];
}
