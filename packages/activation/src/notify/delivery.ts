import { closeSync, writeSync } from 'node:fs';
import { getSystemErrorMap, getSystemErrorName } from 'node:util';
import { SystemdError } from '../errors.js';
import { MAX_QUEUED_NOTIFICATIONS } from '../limits.js';
import { loadNative, nativeLoadError, type NativeBinding } from '../native/index.js';
import { sendWithSystemdNotify } from '../native/index.js';

// How a checked notification reaches NOTIFY_SOCKET without ever blocking the event loop.
// A receiver whose queue is full (EAGAIN) gets the message later, from an unref'd timer, in the
// order it was sent; a receiver that is gone or refuses gets one warning and `false`.

/** Without a single delivery for this long, what is queued is dropped (with a warning). */
const GIVE_UP_MS = 30_000;
const FIRST_RETRY_MS = 2;
const MAX_RETRY_MS = 250;

// The receiver cannot take the message now; it may later.
const TRANSIENT = new Set(['EAGAIN', 'EWOULDBLOCK', 'ENOBUFS', 'ENOMEM']);
// The caller's fds are wrong (closed before the call): the caller's bug, not the receiver's.
const CALLER_ERRORS = new Set(['EBADF', 'EINVAL']);

interface Pending {
  message: Buffer;
  /** Our own copies of the caller's fds, closed once sent or dropped. */
  fds: number[];
  /** STATUS alone: a later one makes it pointless (latest wins). */
  coalescible: boolean;
}

interface Outbox {
  readonly address: string;
  readonly pending: Pending[];
  timer: NodeJS.Timeout | undefined;
  delayMs: number;
  lastProgress: number;
}

const outboxes = new Map<string, Outbox>();
const warned = new Set<string>();

/**
 * One process warning per socket and cause ('unusable', 'full', …), not per call nor per errno: a
 * manager gone away (ECONNREFUSED, then ENOENT once its socket is removed) must not flood the log.
 */
export function warnOnce(address: string, cause: string, text: string): void {
  const key = `${address}\0${cause}`;
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(`NOTIFY_SOCKET=${JSON.stringify(address)}: ${text}`, { code: 'SDNODE_NOTIFY' });
}

function describe(errno: number): string {
  const [name, text] = getSystemErrorMap().get(errno) ?? [getSystemErrorName(errno), 'unknown error'];
  return `${name}: ${text}`;
}

/**
 * Sends `message` (with `fds`) to `address`, or keeps it for later when the receiver's queue is
 * full. True when sent or queued; false (after one warning) when the receiver is unusable or the
 * queue is full. Throws a SystemdError when the kernel rejects the caller's fds (EBADF), and
 * ENOTSUP when fds are to be passed without the native part.
 */
export function deliver(address: string, message: string, fds: number[], coalescible: boolean): boolean {
  const native = loadNative();
  if (native === undefined) {
    if (fds.length > 0) throw nativeMissing('passing file descriptors');
    return sendWithSystemdNotify(address, message, coalescible, warnOnce);
  }
  const bytes = Buffer.from(message);
  const outbox = outboxes.get(address);
  if (outbox !== undefined && outbox.pending.length > 0) return enqueue(native, outbox, bytes, fds, coalescible);
  const result = native.send(address, bytes, fds);
  if (result === 0) return true;
  const code = getSystemErrorName(result);
  if (TRANSIENT.has(code)) {
    const fresh = outbox ?? { address, pending: [], timer: undefined, delayMs: FIRST_RETRY_MS, lastProgress: 0 };
    outboxes.set(address, fresh);
    fresh.lastProgress = Date.now();
    return enqueue(native, fresh, bytes, fds, coalescible);
  }
  if (CALLER_ERRORS.has(code)) {
    throw new SystemdError(`cannot notify ${address}: sendmsg: ${describe(result)}`, code, {
      subject: 'fds',
      value: `[${fds.join(',')}]`,
    });
  }
  warnOnce(address, 'unusable', `notifications are not delivered (sendmsg: ${describe(result)}); the service carries on`);
  return false;
}

function enqueue(native: NativeBinding, outbox: Outbox, message: Buffer, fds: number[], coalescible: boolean): boolean {
  if (coalescible) {
    const older = outbox.pending.findIndex((p) => p.coalescible);
    if (older >= 0) outbox.pending.splice(older, 1);
  }
  if (outbox.pending.length >= MAX_QUEUED_NOTIFICATIONS) {
    warnOnce(
      outbox.address,
      'full',
      `the receiver is not reading and ${MAX_QUEUED_NOTIFICATIONS} notifications wait already: later ones are dropped`,
    );
    return false;
  }
  outbox.pending.push({ message, fds: copies(native, fds), coalescible });
  schedule(native, outbox);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => lastAttempt(native));
  }
  return true;
}

let exitHooked = false;

/**
 * At exit no retry timer fires again: one more try for what is queued, and for what still cannot
 * be sent a line on stderr, written at once, since a warning emitted now would never be printed.
 */
function lastAttempt(native: NativeBinding): void {
  for (const { address, pending } of outboxes.values()) {
    let result = 0;
    while (pending.length > 0) {
      result = native.send(address, pending[0]!.message, pending[0]!.fds);
      if (result !== 0) break;
      pending.shift();
    }
    if (pending.length === 0) continue;
    const keys = pending.map((p) => p.message.toString('utf8').split('=', 1)[0]);
    const text =
      `(node:${process.pid}) [SDNODE_NOTIFY] Warning: NOTIFY_SOCKET=${JSON.stringify(address)}: ${keys.length} queued ` +
      `notification(s) not delivered at exit (sendmsg: ${describe(result)}): ${keys.join(', ')}\n`;
    try {
      writeSync(2, text);
    } catch {
      // stderr closed or full: nothing more can be done at exit
    }
  }
}

/** The caller may close its fds as soon as we return: a queued message holds copies of its own. */
function copies(native: NativeBinding, fds: number[]): number[] {
  const copied: number[] = [];
  try {
    for (const fd of fds) copied.push(native.dup(fd));
  } catch (error) {
    closeAll(copied);
    const e = error as NodeJS.ErrnoException;
    throw new SystemdError(`cannot keep fds [${fds.join(',')}] for a later notification: ${e.message}`, e.code ?? 'EIO', {
      subject: 'fds',
      value: `[${fds.join(',')}]`,
      cause: error,
    });
  }
  return copied;
}

function closeAll(fds: number[]): void {
  for (const fd of fds) closeSync(fd);
}

function schedule(native: NativeBinding, outbox: Outbox): void {
  if (outbox.timer !== undefined) return;
  outbox.timer = setTimeout(() => {
    outbox.timer = undefined;
    flush(native, outbox);
  }, outbox.delayMs);
  // Retrying must never be what keeps the process alive.
  outbox.timer.unref();
  outbox.delayMs = Math.min(outbox.delayMs * 2, MAX_RETRY_MS);
}

function flush(native: NativeBinding, outbox: Outbox): void {
  while (outbox.pending.length > 0) {
    const head = outbox.pending[0]!;
    const result = native.send(outbox.address, head.message, head.fds);
    if (result === 0) {
      outbox.pending.shift();
      closeAll(head.fds);
      outbox.delayMs = FIRST_RETRY_MS;
      outbox.lastProgress = Date.now();
      continue;
    }
    const code = getSystemErrorName(result);
    if (!TRANSIENT.has(code)) {
      dropAll(outbox, 'unusable', `${outbox.pending.length} queued notification(s) dropped (sendmsg: ${describe(result)})`);
      return;
    }
    if (Date.now() - outbox.lastProgress >= GIVE_UP_MS) {
      dropAll(
        outbox,
        'stalled',
        `the receiver read nothing for ${GIVE_UP_MS / 1000} s: ${outbox.pending.length} queued notification(s) dropped`,
      );
      return;
    }
    schedule(native, outbox);
    return;
  }
}

function dropAll(outbox: Outbox, cause: string, text: string): void {
  warnOnce(outbox.address, cause, text);
  for (const pending of outbox.pending.splice(0)) closeAll(pending.fds);
}

export function nativeMissing(what: string): SystemdError {
  return new SystemdError(`${what} needs the native part, which did not load: ${nativeLoadError()}`, 'ENOTSUP');
}
