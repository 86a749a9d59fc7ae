import { fstatSync } from 'node:fs';
import { invalid } from '../errors.js';
import { checkFieldName, encodeEntry, type JournalFields, type JournalValue } from './fields.js';
import { loadNative, nativeLoadError } from '../native/index.js';

export type { JournalFields, JournalValue } from './fields.js';

/** Where journald listens for native-protocol entries. */
export const JOURNAL_SOCKET = '/run/systemd/journal/socket';

/** The syslog priorities a journal entry carries (PRIORITY=), by name. */
export const PRIORITY = { emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7 } as const;

export interface LoggerOptions {
  /**
   * 'auto' (default): the journal's native socket when stderr is connected to the journal
   * (JOURNAL_STREAM), plain lines on stderr otherwise. 'journal': always the socket.
   * 'stderr': always stderr.
   */
  target?: 'auto' | 'journal' | 'stderr';
  /** journald's socket; default /run/systemd/journal/socket. */
  socket?: string;
  /** Where JOURNAL_STREAM is read from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

type Log = (message: string, fields?: JournalFields) => void;

export interface Logger {
  /** SYSLOG_IDENTIFIER of every entry (and the prefix of a line on stderr). */
  readonly identifier: string;
  /** Where entries go now: decided on the first entry; a journal that fails turns it to 'stderr' for good. */
  readonly target: 'journal' | 'stderr' | 'undecided';
  /** One entry at `priority` (0–7, see PRIORITY) with extra `fields` (names: see checkFieldName). */
  log(priority: number, message: string, fields?: JournalFields): void;
  error: Log;
  warning: Log;
  notice: Log;
  info: Log;
  debug: Log;
}

// While journald is behind, entries wait here; past these it is stalled, not busy.
const RETRY_MS = 10;
const STALL_MS = 2000;
const MAX_PENDING_BYTES = 8 * 1024 * 1024;
const SET_BY_LOGGER = new Set(['MESSAGE', 'PRIORITY', 'SYSLOG_IDENTIFIER']);

/**
 * True when fd 2 is the stream the manager connected to the journal: JOURNAL_STREAM holds its
 * `device:inode`, and a child that inherited the variable with another stderr must not believe it.
 */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const expected = env.JOURNAL_STREAM;
  if (expected === undefined) return false;
  try {
    const stat = fstatSync(2, { bigint: true });
    return `${stat.dev}:${stat.ino}` === expected;
  } catch {
    return false;
  }
}

/**
 * A logger for the journal. Each entry carries MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and your
 * fields, sent over journald's native protocol (a value with line breaks or bytes as it is, an
 * entry too large for a datagram as a sealed memfd). Never blocks: while journald is behind the
 * entries wait, in order; when its socket is missing, refuses them or does not read for 2 s, this
 * and every later entry goes to stderr instead, with one process warning. On stderr an entry is
 * `identifier: message`, with a `<priority>` prefix on each line when stderr is the journal stream
 * (journald reads it), never elsewhere.
 * Throws a SystemdError (EINVAL) for an identifier that is empty or has a line break; `log()` and
 * the level methods throw it for a priority outside 0–7, a field name journald would refuse or
 * one the logger sets itself, and a value of another type.
 */
export function createLogger(identifier: string, options: LoggerOptions = {}): Logger {
  if (typeof identifier !== 'string' || identifier === '' || /[\n\r\0]/.test(identifier)) {
    throw invalid('identifier', identifier, 'a non-empty name without line breaks');
  }
  const socket = options.socket ?? JOURNAL_SOCKET;
  const env = options.env ?? process.env;
  let target: 'journal' | 'stderr' | undefined;
  let prefixed = false;
  const pending: { entry: Buffer; priority: number; text: string }[] = [];
  let pendingBytes = 0;
  let lastProgress = 0;
  let retry: NodeJS.Timeout | undefined;

  function decide(): 'journal' | 'stderr' {
    prefixed = stderrIsJournal(env);
    const wanted = options.target ?? 'auto';
    target = wanted === 'journal' || (wanted === 'auto' && prefixed) ? 'journal' : 'stderr';
    if (target === 'journal' && loadNative() === undefined) fallBack(`the native part did not load (${nativeLoadError()})`);
    return target;
  }

  function stderrLine(priority: number, message: string): string {
    const lines = message.split('\n').map((line) => `${prefixed ? `<${priority}>` : ''}${identifier}: ${line}`);
    return `${lines.join('\n')}\n`;
  }

  /** Sends one entry now: 'busy' when journald is behind; a failure turns the logger to stderr. */
  function trySend(entry: Buffer): 'sent' | 'busy' | 'failed' {
    try {
      loadNative()!.journalSend(socket, entry);
      return 'sent';
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === 'EAGAIN') return 'busy';
      fallBack(`${socket}: ${e.message}`);
      return 'failed';
    }
  }

  function fallBack(reason: string, exiting = false): void {
    if (target === 'stderr') return;
    target = 'stderr';
    clearTimeout(retry);
    const warning = `${identifier}: journal entries go to stderr from now on: ${reason}`;
    // A process warning is printed on a later tick, which an exiting process does not reach.
    if (exiting) writeStderr(`${prefixed ? '<4>' : ''}${warning}\n`);
    else process.emitWarning(warning, { code: 'SDNODE_JOURNAL' });
    for (const { priority, text } of pending.splice(0)) writeStderr(stderrLine(priority, text));
    pendingBytes = 0;
    process.off('exit', flushOnExit);
  }

  function drain(): void {
    retry = undefined;
    while (pending.length > 0) {
      const result = trySend(pending[0]!.entry);
      if (result === 'failed') return; // fallBack() wrote them all to stderr
      if (result === 'busy') {
        if (Date.now() - lastProgress > STALL_MS) fallBack(`journald has read nothing for ${STALL_MS} ms`);
        else retry = setTimeout(drain, RETRY_MS).unref();
        return;
      }
      pendingBytes -= pending.shift()!.entry.length;
      lastProgress = Date.now();
    }
    process.off('exit', flushOnExit);
  }

  // Timers no longer run: what journald has not taken yet is not lost, it goes to stderr.
  function flushOnExit(): void {
    drain();
    if (pending.length > 0) fallBack('the process exits with entries journald has not taken', true);
  }

  function log(priority: number, message: string, fields?: JournalFields): void {
    if (!Number.isInteger(priority) || priority < 0 || priority > 7) throw invalid('priority', priority, 'an integer from 0 to 7');
    const text = String(message);
    const entryFields: [string, JournalValue][] = [
      ['MESSAGE', text],
      ['PRIORITY', priority],
      ['SYSLOG_IDENTIFIER', identifier],
    ];
    for (const [name, value] of Object.entries(fields ?? {})) {
      if (SET_BY_LOGGER.has(name)) throw invalid('journal field', name, 'a field other than those the logger sets');
      entryFields.push([checkFieldName(name), value]);
    }
    const entry = encodeEntry(entryFields);
    if ((target ?? decide()) === 'stderr') {
      writeStderr(stderrLine(priority, text));
      return;
    }
    // Queued behind earlier entries, or journald is behind: keep the order.
    const result = pending.length === 0 ? trySend(entry) : 'busy';
    if (result === 'sent') return;
    if (result === 'failed') {
      writeStderr(stderrLine(priority, text));
      return;
    }
    if (pending.length === 0) {
      lastProgress = Date.now();
      process.on('exit', flushOnExit);
    }
    pending.push({ entry, priority, text });
    pendingBytes += entry.length;
    if (pendingBytes > MAX_PENDING_BYTES) fallBack(`journald is ${pendingBytes} bytes behind`);
    else retry ??= setTimeout(drain, RETRY_MS).unref();
  }

  return {
    identifier,
    get target() {
      return target ?? 'undecided';
    },
    log,
    error: (message, fields) => log(PRIORITY.err, message, fields),
    warning: (message, fields) => log(PRIORITY.warning, message, fields),
    notice: (message, fields) => log(PRIORITY.notice, message, fields),
    info: (message, fields) => log(PRIORITY.info, message, fields),
    debug: (message, fields) => log(PRIORITY.debug, message, fields),
  };
}

let stderrGuarded = false;

/** A closed or broken stderr must not crash the service for a log line (console.error ignores it too). */
function writeStderr(line: string): void {
  if (!stderrGuarded) {
    stderrGuarded = true;
    process.stderr.on('error', () => {});
  }
  try {
    process.stderr.write(line);
  } catch {
    // nowhere left to say it
  }
}

/**
 * A pino destination (`pino(options, pinoDestination(logger))`): each JSON line becomes one entry,
 * its `msg` the MESSAGE (the whole line when it has none) and its level the PRIORITY (fatal 2,
 * error 3, warn 4, info 6, debug and trace 7).
 */
export function pinoDestination(logger: Logger): { write(line: string): void } {
  return {
    write(line: string): void {
      let record: { level?: unknown; msg?: unknown } | undefined;
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        // not pino's JSON: keep the text
      }
      const level = typeof record?.level === 'number' ? record.level : 30;
      const message = typeof record?.msg === 'string' ? record.msg : line.replace(/\n$/, '');
      logger.log(pinoPriority(level), message);
    },
  };
}

function pinoPriority(level: number): number {
  if (level >= 60) return PRIORITY.crit;
  if (level >= 50) return PRIORITY.err;
  if (level >= 40) return PRIORITY.warning;
  if (level >= 30) return PRIORITY.info;
  return PRIORITY.debug;
}
