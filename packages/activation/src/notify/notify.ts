import { closeSync, fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import { FDNAME_EXPECTED, isFdName } from '../fd-name.js';
import { checkDelay, durationUsec } from '../durations.js';
import { SystemdError, invalid } from '../errors.js';
import { scalarText } from '../field-text.js';
import { MAX_FDS_PER_MESSAGE, MAX_NOTIFY_MESSAGE_BYTES, MAX_UNIX_PATH_BYTES } from '../limits.js';
import { loadNative } from '../native/index.js';
import { deliver, nativeMissing, warnOnce } from './delivery.js';

export type NotifyFields = Record<string, string | number | bigint | boolean>;
export interface NotifyOptions {
  /** File descriptors passed along with the message (SCM_RIGHTS), at most 253; they may be closed once the call returns. */
  fds?: number[];
  /** Where NOTIFY_SOCKET is read from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Remove NOTIFY_SOCKET from `env` afterwards (on every path), so children do not inherit it. */
  unsetEnvironment?: boolean;
}

// The shape of the manager's own keys. Not journald's field rule (journal/fields.ts), which
// refuses a leading _ and more than 64 characters: that protocol's rule, not this one's.
const KEY = /^[A-Z_][A-Z0-9_]*$/;
// A value with a line break could smuggle in a second field (STATUS=x\nREADY=1);
// a NUL makes the manager drop the whole message. (A journal entry sends such a value
// length-prefixed instead, see journal/fields.ts: the notify protocol has no such form.)
const FORBIDDEN_IN_VALUE = /[\n\r\0]/;

/**
 * NOTIFY_SOCKET from `env`; undefined when unset, or when unusable (after one warning): a
 * malformed variable is the environment's fault, and must not take the service down.
 */
function notifySocket(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.NOTIFY_SOCKET;
  if (value === undefined) return undefined;
  let expected: string | undefined;
  if (!(value.startsWith('/') || value.startsWith('@')) || value.length < 2 || value.includes('\0')) {
    expected = 'an absolute socket path or an @abstract name';
  } else if (Buffer.byteLength(value) > MAX_UNIX_PATH_BYTES) {
    expected = `at most ${MAX_UNIX_PATH_BYTES} bytes`;
  }
  if (expected === undefined) return value;
  warnOnce(value, 'malformed', `expected ${expected}; notifications are not sent`);
  return undefined;
}

function formatValue(key: string, value: string | number | bigint | boolean): string {
  if (typeof value === 'string') {
    if (FORBIDDEN_IN_VALUE.test(value)) throw invalid(key, value, 'a value without newline, carriage return or NUL');
    return value;
  }
  // Integers only: every notification field that takes a number is one (a pid, an errno, µs).
  const text = scalarText(key, value, 'integer');
  if (text === undefined) throw invalid(key, value, 'a string, integer, bigint or boolean');
  return text;
}

/** `KEY=VALUE\n` lines, checked the way the manager reads them. */
function formatMessage(fields: NotifyFields): string {
  const lines = Object.entries(fields).map(([key, value]) => {
    if (!KEY.test(key)) throw invalid('notification key', key, 'upper-case letters, digits and _ (not first a digit)');
    return `${key}=${formatValue(key, value)}\n`;
  });
  if (lines.length === 0) throw invalid('notification', '{}', 'at least one KEY=VALUE field');
  const message = lines.join('');
  const bytes = Buffer.byteLength(message);
  if (bytes > MAX_NOTIFY_MESSAGE_BYTES) {
    const longest = lines.reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a));
    const key = longest.slice(0, longest.indexOf('='));
    throw new SystemdError(
      `notification is ${bytes} bytes, systemd drops messages over ${MAX_NOTIFY_MESSAGE_BYTES} bytes (largest field: ${key})`,
      'EMSGSIZE',
      { subject: key },
    );
  }
  return message;
}

/** Integers, at most 253 of them, each open now (else EBADF): checked whether or not NOTIFY_SOCKET is set. */
function checkFds(fds: number[]): number[] {
  const shown = Array.isArray(fds) ? `[${fds.join(',')}]` : fds;
  if (!Array.isArray(fds) || fds.length > MAX_FDS_PER_MESSAGE || !fds.every((fd) => Number.isInteger(fd) && fd >= 0)) {
    throw invalid('fds', shown, `at most ${MAX_FDS_PER_MESSAGE} file descriptors (integers >= 0)`);
  }
  for (const fd of fds) {
    try {
      fstatSync(fd);
    } catch (cause) {
      throw invalid('fds', shown, `open file descriptors (fd ${fd}: ${(cause as NodeJS.ErrnoException).code})`, 'EBADF');
    }
  }
  return fds;
}

/** The one way every notification goes: arguments first (they throw even outside systemd), then the socket. */
function send(fields: NotifyFields, options: NotifyOptions = {}): boolean {
  const env = options.env ?? process.env;
  try {
    const fds = checkFds(options.fds ?? []);
    const message = formatMessage(fields);
    const socket = notifySocket(env);
    if (socket === undefined) return false;
    const keys = Object.keys(fields);
    return deliver(socket, message, fds, keys.length === 1 && keys[0] === 'STATUS');
  } finally {
    if (options.unsetEnvironment) delete env.NOTIFY_SOCKET;
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw invalid(name, value, 'a positive integer');
  return value;
}

function fdName(name: string): string {
  if (!isFdName(name)) throw invalid('name', name, FDNAME_EXPECTED);
  return name;
}

/** Waits until every holder of the pipe's write end has closed it. */
function waitForHangup(readFd: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const pipe = new Socket({ fd: readFd, readable: true, writable: false });
    const timer = setTimeout(() => {
      finish(new SystemdError(`BARRIER=1: systemd did not release the barrier within ${timeoutMs} ms`, 'ETIMEDOUT'));
    }, timeoutMs);
    function finish(error?: Error): void {
      clearTimeout(timer);
      pipe.destroy(); // closes readFd
      if (error) reject(error);
      else resolve();
    }
    pipe.on('data', () => {}); // nothing is ever written; read only to see the end
    pipe.on('end', () => finish());
    pipe.on('error', (error) =>
      finish(new SystemdError(`BARRIER=1: ${error.message}`, (error as NodeJS.ErrnoException).code ?? 'EIO', { cause: error })),
    );
  });
}

/** How long notify.barrier() waits, by default, for the manager to release it. */
const DEFAULT_BARRIER_TIMEOUT_MS = 5000;

/**
 * BARRIER=1: resolves true once the manager has processed every notification sent before it,
 * false when there is no one to tell; rejects with ETIMEDOUT past `timeoutMs` (1 to 2^31−1,
 * default 5000). Throws EINVAL naming `timeoutMs` for one outside that range.
 */
async function barrier(options: { timeoutMs?: number } = {}): Promise<boolean> {
  const timeoutMs = checkDelay('timeoutMs', options.timeoutMs ?? DEFAULT_BARRIER_TIMEOUT_MS);
  const socket = notifySocket(process.env);
  if (socket === undefined) return false;
  const native = loadNative();
  if (native === undefined) throw nativeMissing('notify.barrier()');
  const [readFd, writeFd] = native.pipe();
  let sent = false;
  try {
    sent = deliver(socket, 'BARRIER=1\n', [writeFd], false);
  } finally {
    // Only the manager's copy of the write end (or the queue's, until sent) may remain: its close is the signal.
    closeSync(writeFd);
    if (!sent) closeSync(readFd);
  }
  if (!sent) return false;
  await waitForHangup(readFd, timeoutMs);
  return true;
}

/**
 * sd_notify for Node, never blocking. Every function returns true when the message was sent or
 * queued (the receiver's queue was full: it is sent later, in order, a newer STATUS alone
 * replacing a queued one), and false when there is no one to tell: NOTIFY_SOCKET unset, malformed,
 * or its receiver gone or refusing (one process warning, code SDNODE_NOTIFY, names it and the
 * errno). Bad arguments throw a SystemdError at once, whether or not NOTIFY_SOCKET is set.
 */
export const notify = {
  send,
  ready: (status?: string): boolean => send(status === undefined ? { READY: 1 } : { READY: 1, STATUS: status }),
  status: (text: string): boolean => send({ STATUS: text }),
  /** For Type=notify-reload: MONOTONIC_USEC is CLOCK_MONOTONIC, the clock process.hrtime uses. */
  reloading: (): boolean => send({ RELOADING: 1, MONOTONIC_USEC: process.hrtime.bigint() / 1000n }),
  stopping: (status?: string): boolean => send(status === undefined ? { STOPPING: 1 } : { STOPPING: 1, STATUS: status }),
  errno: (code: number): boolean => send({ ERRNO: positiveInteger('errno', code) }),
  mainPid: (pid: number): boolean => send({ MAINPID: positiveInteger('pid', pid) }),
  watchdog: (): boolean => send({ WATCHDOG: 1 }),
  watchdogTrigger: (): boolean => send({ WATCHDOG: 'trigger' }),
  /** WATCHDOG_USEC=: a new watchdog timeout, in ms (number) or µs (bigint). */
  setWatchdogTimeout: (timeout: number | bigint): boolean => send({ WATCHDOG_USEC: durationUsec('timeout', timeout) }),
  /** EXTEND_TIMEOUT_USEC=: more time for the current start, reload or stop, in ms (number) or µs (bigint). */
  extendTimeout: (timeout: number | bigint): boolean => send({ EXTEND_TIMEOUT_USEC: durationUsec('timeout', timeout) }),
  fdStore(fds: number[], options: { name?: string; poll?: boolean } = {}): boolean {
    if (!Array.isArray(fds) || fds.length === 0) throw invalid('fds', fds, 'at least one file descriptor');
    const fields: NotifyFields = { FDSTORE: 1 };
    if (options.name !== undefined) fields.FDNAME = fdName(options.name);
    if (options.poll === false) fields.FDPOLL = 0;
    return send(fields, { fds });
  },
  fdStoreRemove: (name: string): boolean => send({ FDSTOREREMOVE: 1, FDNAME: fdName(name) }),
  barrier,
};
