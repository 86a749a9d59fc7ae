import { invalid } from '../errors.js';
import { checkFieldName, encodeEntry, type JournalFields, type JournalValue } from './fields.js';
import { JournalWriter } from './journal-writer.js';

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

const SET_BY_LOGGER = new Set(['MESSAGE', 'PRIORITY', 'SYSLOG_IDENTIFIER']);

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
  const writer = new JournalWriter({
    identifier,
    socket: options.socket ?? JOURNAL_SOCKET,
    target: options.target ?? 'auto',
    env: options.env ?? process.env,
  });
  function log(priority: number, message: string, fields?: JournalFields): void {
    if (!Number.isInteger(priority) || priority < 0 || priority > 7) throw invalid('priority', priority, 'an integer from 0 to 7');
    const text = String(message);
    // Built, and so checked, before the target is known: a bad field throws wherever entries go.
    writer.write(logEntry(identifier, priority, text, fields), priority, text);
  }
  return {
    identifier,
    get target() {
      return writer.target;
    },
    log,
    error: (message, fields) => log(PRIORITY.err, message, fields),
    warning: (message, fields) => log(PRIORITY.warning, message, fields),
    notice: (message, fields) => log(PRIORITY.notice, message, fields),
    info: (message, fields) => log(PRIORITY.info, message, fields),
    debug: (message, fields) => log(PRIORITY.debug, message, fields),
  };
}

/** The entry: the fields the logger sets, then the caller's (none of those, each name checked). */
function logEntry(identifier: string, priority: number, text: string, fields: JournalFields | undefined): Buffer {
  const entryFields: [string, JournalValue][] = [
    ['MESSAGE', text],
    ['PRIORITY', priority],
    ['SYSLOG_IDENTIFIER', identifier],
  ];
  for (const [name, value] of Object.entries(fields ?? {})) {
    if (SET_BY_LOGGER.has(name)) throw invalid('journal field', name, 'a field other than those the logger sets');
    entryFields.push([checkFieldName(name), value]);
  }
  return encodeEntry(entryFields);
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
