/**
 * Logging to the journal (`@sdnode/activation/journal`): structured entries over journald's native
 * protocol when stderr is the journal, plain lines on a terminal, and a destination for pino.
 */
export {
  createLogger,
  pinoDestination,
  JOURNAL_SOCKET,
  PRIORITY,
  type Logger,
  type LoggerOptions,
  type JournalFields,
  type JournalValue,
} from './logger.js';
export { stderrIsJournal } from './stderr.js';
