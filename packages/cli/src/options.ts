import { parseArgs } from 'node:util';
import { SystemdError } from '@sdnode/activation';
import { FDNAME_EXPECTED, type HeldSocketAddress, isFdName } from '@sdnode/activation/manager';
import { parseListenAddress } from './address.js';

/** What `sdnode activate` was asked to do. */
export interface ActivateOptions {
  listen: HeldSocketAddress[];
  accept: boolean;
  inetd: boolean;
  /** one name per listening socket */
  fdNames: string[];
  /** variables set in the child's environment (on top of sdnode's own) */
  env: Record<string, string>;
  /** undefined: no watchdog */
  watchdogUsec: bigint | undefined;
  watch: string[];
  json: boolean;
  stopTimeoutMs: number;
  fdStoreMax: number;
  command: string[];
}

export const HELP = `Usage: sdnode activate [OPTIONS] [--] COMMAND [ARGS...]

Holds listening sockets the way systemd's socket units do and starts COMMAND on the first
connection, with LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES set as systemd sets them. It never
goes away: when COMMAND exits (an idle exit, a crash) the sockets stay open, connections wait in
the backlog, and the next one starts COMMAND again. COMMAND gets a NOTIFY_SOCKET; every message
it sends (READY, STATUS, WATCHDOG, FDSTORE, ...) is shown on stderr with the time and the pid.

Options shared with systemd-socket-activate:
  -l, --listen ADDR        listen on ADDR (repeatable): PORT, IPv4:PORT, [IPv6]:PORT, /path, @abstract
  -a, --accept             accept connections and start one COMMAND per connection, on fd 3
      --inetd              with --accept: the connection on fds 0 and 1, no LISTEN_* (also --inet)
  -d, --datagram           datagram sockets (UDP, or unix SOCK_DGRAM) instead of stream ones
      --seqpacket          unix SOCK_SEQPACKET sockets instead of stream ones
      --fdname NAME[:NAME...]  names for the sockets, in LISTEN_FDNAMES (default "unknown"; with
                           --accept "connection")
  -E, --setenv VAR[=VALUE] set VAR in COMMAND's environment (VAR alone: pass sdnode's own VAR;
                           unlike systemd-socket-activate, the rest of the environment passes too)
Playing the service manager's part:
      --watchdog SECONDS   set WATCHDOG_USEC and WATCHDOG_PID; a COMMAND that sends no WATCHDOG=1
                           for that long after its READY=1 is killed (SIGABRT) and started again
      --fdstore-max N      fds kept for COMMAND with FDSTORE=1 across its restarts (default 64;
                           0 ignores FDSTORE=1, as systemd does without FileDescriptorStoreMax=)
      --stop-timeout SECONDS  after SIGTERM, how long before SIGKILL (default 10)
      --watch PATH         restart COMMAND when PATH (a file or a directory tree) changes
                           (repeatable); no connection is refused meanwhile
      --json               print events as JSON lines instead of text
  -h, --help               show this help

Signals: SIGHUP is passed on to COMMAND (a reload); SIGINT or SIGTERM stop COMMAND (SIGTERM, then
SIGKILL after --stop-timeout) and sdnode exits with its status.
`;

// Options that take a value: a word after one of them is that value, not COMMAND.
const VALUE_OPTIONS = new Set(['-l', '--listen', '-E', '--setenv', '--fdname', '--watchdog', '--watch', '--stop-timeout', '--fdstore-max']);

/**
 * Splits `sdnode activate` arguments at `--` or at the first word that is neither an option nor
 * an option's value (as systemd-socket-activate does), so COMMAND's own options stay its own.
 */
export function splitCommand(args: string[]): { options: string[]; command: string[] } {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') return { options: args.slice(0, i), command: args.slice(i + 1) };
    if (!arg.startsWith('-') || arg === '-') return { options: args.slice(0, i), command: args.slice(i) };
    if (VALUE_OPTIONS.has(arg)) i++;
  }
  return { options: args, command: [] };
}

/**
 * Parses `sdnode activate` arguments. Throws a SystemdError (EINVAL) naming the option, the value
 * and what was expected: unknown options, bad addresses, --inetd without --accept, --accept with
 * datagrams, more names than sockets, no COMMAND.
 */
export function parseActivateArgs(args: string[], env: NodeJS.ProcessEnv = process.env): ActivateOptions | 'help' {
  const { options, command } = splitCommand(args);
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(options).values;
  } catch (error) {
    throw new SystemdError(`${(error as Error).message}; see sdnode activate --help`, 'EINVAL', { cause: error });
  }
  if (values.help) return 'help';
  if (command.length === 0) throw usage('COMMAND', 'no COMMAND given: sdnode activate [OPTIONS] -- COMMAND [ARGS...]');
  const inetd = Boolean(values.inetd || values.inet);
  const accept = Boolean(values.accept);
  if (inetd && !accept) throw usage('--inetd', '--inetd needs --accept (one COMMAND per connection, on fds 0 and 1)');
  if (values.datagram && values.seqpacket) throw usage('--datagram', '--datagram and --seqpacket exclude each other');
  const type = values.datagram ? 'dgram' : values.seqpacket ? 'seqpacket' : 'stream';
  if (accept && type === 'dgram')
    throw usage('--accept', '--accept works on stream and seqpacket sockets only: a datagram socket has no connections');
  const listen = (values.listen ?? []).map((value) => parseListenAddress(value, type));
  if (listen.length === 0) throw usage('--listen', 'no --listen ADDR given: nothing to listen on');
  if (type === 'seqpacket' && listen.some((where) => where.family !== 'unix')) {
    throw usage('--seqpacket', '--seqpacket needs unix addresses (/path or @abstract)');
  }
  if (accept && listen.length > 1 && inetd) throw usage('--inetd', '--inetd takes one --listen address');
  return {
    listen,
    accept,
    inetd,
    fdNames: fdNames(values.fdname, listen.length, accept),
    env: setenv(values.setenv ?? [], env),
    watchdogUsec: values.watchdog === undefined ? undefined : BigInt(Math.round(seconds('--watchdog', values.watchdog) * 1e6)),
    watch: values.watch ?? [],
    json: Boolean(values.json),
    stopTimeoutMs: values['stop-timeout'] === undefined ? 10_000 : seconds('--stop-timeout', values['stop-timeout']) * 1000,
    fdStoreMax: values['fdstore-max'] === undefined ? 64 : count('--fdstore-max', values['fdstore-max']),
    command,
  };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      listen: { type: 'string', short: 'l', multiple: true },
      accept: { type: 'boolean', short: 'a' },
      inetd: { type: 'boolean' },
      inet: { type: 'boolean' },
      datagram: { type: 'boolean', short: 'd' },
      seqpacket: { type: 'boolean' },
      fdname: { type: 'string' },
      setenv: { type: 'string', short: 'E', multiple: true },
      watchdog: { type: 'string' },
      'fdstore-max': { type: 'string' },
      'stop-timeout': { type: 'string' },
      watch: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function usage(option: string, message: string): SystemdError {
  return new SystemdError(message, 'EINVAL', { subject: option });
}

function seconds(option: string, raw: string): number {
  const n = Number(raw);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(raw) || n <= 0) {
    throw new SystemdError(`${option} ${JSON.stringify(raw)}: expected a number of seconds greater than 0`, 'EINVAL', {
      subject: option,
      value: raw,
    });
  }
  return n;
}

function count(option: string, raw: string): number {
  if (!/^[0-9]+$/.test(raw) || Number(raw) > 1024) {
    throw new SystemdError(`${option} ${JSON.stringify(raw)}: expected a whole number from 0 to 1024`, 'EINVAL', {
      subject: option,
      value: raw,
    });
  }
  return Number(raw);
}

function fdNames(raw: string | undefined, sockets: number, accept: boolean): string[] {
  if (raw === undefined) return Array(sockets).fill(accept ? 'connection' : 'unknown');
  const names = raw.split(':');
  const badName = names.find((name) => !isFdName(name));
  if (badName !== undefined) {
    throw new SystemdError(
      `--fdname ${JSON.stringify(raw)}: ${JSON.stringify(badName)} is not a name: expected ${FDNAME_EXPECTED}`,
      'EINVAL',
      {
        subject: '--fdname',
        value: raw,
      },
    );
  }
  if (names.length > sockets) {
    throw new SystemdError(
      `--fdname ${JSON.stringify(raw)}: ${names.length} names for ${sockets} socket${sockets === 1 ? '' : 's'}`,
      'EINVAL',
      {
        subject: '--fdname',
        value: raw,
      },
    );
  }
  // Sockets without a name of their own get systemd's name for an unnamed fd.
  return Array.from({ length: sockets }, (_, i) => names[i] ?? 'unknown');
}

function setenv(entries: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const name = eq < 0 ? entry : entry.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new SystemdError(`-E ${JSON.stringify(entry)}: expected VAR or VAR=VALUE with a variable name`, 'EINVAL', {
        subject: '-E',
        value: entry,
      });
    }
    const value = eq < 0 ? env[name] : entry.slice(eq + 1);
    if (value !== undefined) result[name] = value;
  }
  return result;
}
