import { parseArgs } from 'node:util';
import { createLogger } from '@sdnode/activation/journal';

/** Everything socket-service reports: to the journal under systemd (SYSLOG_IDENTIFIER=socket-service), else stderr. */
export const log = createLogger('socket-service');

/** The port to listen on when no socket was passed in: PORT, default 3000. */
export function fallbackPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PORT ?? '3000';
  const port = Number(raw);
  if (!/^[0-9]+$/.test(raw) || port < 1 || port > 65535) {
    fail(new Error(`PORT=${JSON.stringify(raw)}: expected a TCP port number from 1 to 65535`));
  }
  return port;
}

/** `--idle-timeout=SECONDS` (or IDLE_TIMEOUT): exit after that long without a connection. */
export function idleTimeoutMs(args = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): number | undefined {
  let parsed: string | undefined;
  // Loading parseArgs costs about a millisecond of every cold start: only when there is something to parse.
  if (args.length > 0) {
    try {
      parsed = parseArgs({ args, options: { 'idle-timeout': { type: 'string' } } }).values['idle-timeout'];
    } catch (err) {
      fail(new Error(`${(err as Error).message}; usage: socket-service [--idle-timeout=SECONDS]`));
    }
  }
  const [name, raw] = parsed !== undefined ? ['--idle-timeout', parsed] : ['IDLE_TIMEOUT', env.IDLE_TIMEOUT];
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(raw) || seconds <= 0) {
    fail(new Error(`${name}=${JSON.stringify(raw)}: expected a number of seconds greater than 0`));
  }
  return seconds * 1000;
}

/** Bad configuration or a wrong socket: one line saying what is wrong, and a non-zero exit. */
export function fail(err: unknown): never {
  log.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}

/** What `read` returns, or a failed start when it throws. */
export function orFail<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    fail(err);
  }
}
