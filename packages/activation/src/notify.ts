import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { SystemdError, invalid } from './errors.js';
import { loadNative, nativeLoadError } from './native.js';

export type NotifyFields = Record<string, string | number | bigint | boolean>;
export interface NotifyOptions {
  /** File descriptors passed along with the message (SCM_RIGHTS), at most 253. */
  fds?: number[];
  /** Where NOTIFY_SOCKET is read from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Remove NOTIFY_SOCKET from `env` afterwards (on every path), so children do not inherit it. */
  unsetEnvironment?: boolean;
}

// What the manager accepts: larger datagrams are dropped without a word.
const MAX_MESSAGE_BYTES = 4096;
const MAX_FDS = 253;
const MAX_SOCKET_BYTES = 108; // sizeof(sun_path)
const KEY = /^[A-Z_][A-Z0-9_]*$/;
// A value with a line break could smuggle in a second field (STATUS=x\nREADY=1);
// a NUL makes the manager drop the whole message.
const FORBIDDEN_IN_VALUE = /[\n\r\0]/;

/** NOTIFY_SOCKET from `env`: undefined when unset, a SystemdError when unusable. */
function notifySocket(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.NOTIFY_SOCKET;
  if (value === undefined) return undefined;
  if (!(value.startsWith('/') || value.startsWith('@')) || value.length < 2) {
    throw invalid('NOTIFY_SOCKET', value, 'an absolute socket path or an @abstract name');
  }
  if (Buffer.byteLength(value) > MAX_SOCKET_BYTES) {
    throw invalid('NOTIFY_SOCKET', value, `at most ${MAX_SOCKET_BYTES} bytes`, 'ENAMETOOLONG');
  }
  return value;
}

function formatValue(key: string, value: string | number | bigint | boolean): string {
  switch (typeof value) {
    case 'string':
      if (FORBIDDEN_IN_VALUE.test(value)) {
        throw invalid(key, value, 'a value without newline, carriage return or NUL');
      }
      return value;
    case 'number':
      if (!Number.isSafeInteger(value)) throw invalid(key, value, 'an integer');
      return String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? '1' : '0';
    default:
      throw invalid(key, value, 'a string, integer, bigint or boolean');
  }
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
  if (bytes > MAX_MESSAGE_BYTES) {
    const longest = lines.reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a));
    const key = longest.slice(0, longest.indexOf('='));
    throw new SystemdError(
      `notification is ${bytes} bytes, systemd drops messages over ${MAX_MESSAGE_BYTES} bytes (largest field: ${key})`,
      'EMSGSIZE',
      { variable: key },
    );
  }
  return message;
}

function checkFds(fds: number[]): void {
  if (!Array.isArray(fds) || fds.length > MAX_FDS || !fds.every((fd) => Number.isInteger(fd) && fd >= 0)) {
    throw invalid('fds', Array.isArray(fds) ? `[${fds.join(',')}]` : fds, `at most ${MAX_FDS} file descriptors (integers >= 0)`);
  }
}

let fallbackWarned = false;

/** Without the native part: hand the fields to systemd-notify, which sends from its own pid. */
function sendWithSystemdNotify(socket: string, message: string): void {
  if (!fallbackWarned) {
    fallbackWarned = true;
    process.emitWarning(
      'notifications are sent by a systemd-notify child process instead of the native part: the unit needs ' +
        'NotifyAccess=all (they come from another pid), each one blocks the process for 11-20 ms, and passing fds ' +
        `(fd store, BARRIER=1) is not available. Why: ${nativeLoadError()}`,
      { code: 'SDNODE_NOTIFY_FALLBACK' },
    );
  }
  const args = message.slice(0, -1).split('\n');
  try {
    // Loaded here, not at start-up: only this fallback needs it.
    process.getBuiltinModule('node:child_process').execFileSync('systemd-notify', args, {
      env: { ...process.env, NOTIFY_SOCKET: socket },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    const reason = e.code === 'ENOENT' ? 'systemd-notify is not installed' : e.stderr?.trim() || e.message;
    throw new SystemdError(`cannot notify ${socket} through systemd-notify: ${reason}`, e.code === 'ENOENT' ? 'ENOENT' : 'EIO', {
      variable: 'NOTIFY_SOCKET',
      value: socket,
      cause: error,
    });
  }
}

function deliver(socket: string, message: string, fds: number[]): void {
  const native = loadNative();
  if (native === undefined) {
    if (fds.length > 0) throw nativeMissing('passing file descriptors');
    sendWithSystemdNotify(socket, message);
    return;
  }
  try {
    native.send(socket, Buffer.from(message), fds);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new SystemdError(`cannot notify ${socket}: ${e.message}`, e.code ?? 'EIO', {
      variable: 'NOTIFY_SOCKET',
      value: socket,
      cause: error,
    });
  }
}

function nativeMissing(what: string): SystemdError {
  return new SystemdError(`${what} needs the native part, which did not load: ${nativeLoadError()}`, 'ENOTSUP');
}

function send(fields: NotifyFields, options: NotifyOptions = {}): boolean {
  const env = options.env ?? process.env;
  try {
    const socket = notifySocket(env);
    if (socket === undefined) return false;
    const fds = options.fds ?? [];
    checkFds(fds);
    deliver(socket, formatMessage(fields), fds);
    return true;
  } finally {
    if (options.unsetEnvironment) delete env.NOTIFY_SOCKET;
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw invalid(name, value, 'a positive integer');
  return value;
}

function positiveUsec(name: string, value: bigint): bigint {
  if (typeof value !== 'bigint' || value <= 0n) throw invalid(name, value, 'a positive bigint number of microseconds');
  return value;
}

// systemd's rule for FDNAME: up to 255 printable ASCII characters, no ':'.
function fdName(name: string): string {
  if (typeof name !== 'string' || !/^[\x20-\x39\x3b-\x7e]{1,255}$/.test(name)) {
    throw invalid('name', name, 'up to 255 printable ASCII characters without ":"');
  }
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

async function barrier(options: { timeoutMs?: number } = {}): Promise<boolean> {
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw invalid('timeoutMs', timeoutMs, 'a positive number of milliseconds');
  const socket = notifySocket(process.env);
  if (socket === undefined) return false;
  const native = loadNative();
  if (native === undefined) throw nativeMissing('notify.barrier()');
  const [readFd, writeFd] = native.pipe();
  try {
    deliver(socket, 'BARRIER=1\n', [writeFd]);
  } catch (error) {
    closeSync(readFd);
    throw error;
  } finally {
    // Only the manager's copy of the write end may remain: its close is the signal.
    closeSync(writeFd);
  }
  await waitForHangup(readFd, timeoutMs);
  return true;
}

/**
 * sd_notify for Node: every function returns true when the message was sent,
 * false when NOTIFY_SOCKET is unset (not running under systemd's supervision).
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
  watchdogUsec: (usec: bigint): boolean => send({ WATCHDOG_USEC: positiveUsec('usec', usec) }),
  extendTimeout: (usec: bigint): boolean => send({ EXTEND_TIMEOUT_USEC: positiveUsec('usec', usec) }),
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
