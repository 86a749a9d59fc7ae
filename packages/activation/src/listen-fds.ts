import { fstatSync } from 'node:fs';
import { invalid, SystemdError } from './errors.js';

/** The first passed fd: systemd hands over fds 3, 4, … (sd_listen_fds(3)). */
export const SD_LISTEN_FDS_START = 3;

/** One fd passed by the service manager, with its name from LISTEN_FDNAMES (`unknown` when unnamed). */
export interface ListenFd {
  fd: number;
  name: string;
}

export interface ListenFdsOptions {
  /** Remove LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES after reading them, on every path (default true). */
  unsetEnvironment?: boolean;
  /** The environment to read (default process.env, whose result is remembered for the process). */
  env?: NodeJS.ProcessEnv;
  /** The pid LISTEN_PID must name (default process.pid). */
  pid?: number;
}

const VARIABLES = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES'] as const;

/** What the first read of process.env gave: children inherit the variables, so they are read once and removed. */
let remembered: { fds: ListenFd[]; activated: boolean } | { error: unknown } | undefined;

/**
 * The fds passed by socket activation, as sd_listen_fds_with_names() defines them: none unless
 * LISTEN_PID names this process; LISTEN_FDS fds starting at fd 3, each checked to be open; names
 * from LISTEN_FDNAMES split on ':' (empty fields kept), `unknown` when the variable is absent.
 *
 * Numbers are parsed strictly: decimal digits only (no sign, spaces or hex), unlike libsystemd.
 */
export function listenFds(options: ListenFdsOptions = {}): ListenFd[] {
  const env = options.env ?? process.env;
  const pid = options.pid ?? process.pid;
  const unset = options.unsetEnvironment !== false;
  const isProcessDefault = env === process.env && pid === process.pid;

  if (isProcessDefault && remembered !== undefined) {
    // Variables set again after the first read are someone else's unless they still name us.
    if (unset && env.LISTEN_PID === String(pid)) unsetVariables(env);
    if ('error' in remembered) throw remembered.error;
    return remembered.fds.map((f) => ({ ...f }));
  }

  try {
    const fds = readListenFds(env, pid);
    if (isProcessDefault) remembered = { fds, activated: env.LISTEN_PID === String(pid) };
    return fds.map((f) => ({ ...f }));
  } catch (error) {
    if (isProcessDefault) remembered = { error };
    throw error;
  } finally {
    if (unset) unsetVariables(env);
  }
}

/** True when process.env's LISTEN_PID named this process, even after the variables were removed. */
export function activatedByListenPid(): boolean {
  if (process.env.LISTEN_PID === String(process.pid)) return true;
  return remembered !== undefined && 'activated' in remembered && remembered.activated;
}

function readListenFds(env: NodeJS.ProcessEnv, pid: number): ListenFd[] {
  const listenPid = env.LISTEN_PID;
  if (listenPid === undefined) return [];
  if (parseDecimal(listenPid) === undefined || Number(listenPid) === 0) {
    throw invalid('LISTEN_PID', listenPid, 'a process id (decimal digits only)');
  }
  if (Number(listenPid) !== pid) return [];

  const listenFdsValue = env.LISTEN_FDS;
  if (listenFdsValue === undefined) return [];
  const count = parseDecimal(listenFdsValue);
  if (count === undefined || count <= 0 || count > 0x7fffffff - SD_LISTEN_FDS_START) {
    throw invalid('LISTEN_FDS', listenFdsValue, 'a positive number of fds (decimal digits only)');
  }

  const names = env.LISTEN_FDNAMES === undefined ? undefined : env.LISTEN_FDNAMES.split(':');
  if (names !== undefined && names.length !== count) {
    throw new SystemdError(
      `LISTEN_FDNAMES=${JSON.stringify(env.LISTEN_FDNAMES)} has ${names.length} name(s) but LISTEN_FDS=${count}: expected one name per fd`,
      'EINVAL',
      { variable: 'LISTEN_FDNAMES', value: env.LISTEN_FDNAMES },
    );
  }

  const fds: ListenFd[] = [];
  for (let i = 0; i < count; i++) {
    const fd = SD_LISTEN_FDS_START + i;
    try {
      // bigint, as fdInfo() asks next: each kind of fstat result costs set-up time on first use.
      fstatSync(fd, { bigint: true });
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'EBADF';
      throw new SystemdError(
        `LISTEN_FDS=${count}: fd ${fd} is not open (${code}); expected fds ${SD_LISTEN_FDS_START}…${SD_LISTEN_FDS_START + count - 1} passed by the service manager`,
        code,
        { variable: 'LISTEN_FDS', value: listenFdsValue, cause },
      );
    }
    fds.push({ fd, name: names?.[i] ?? 'unknown' });
  }
  return fds;
}

/** Decimal digits only, within the safe integer range; anything else is undefined. */
function parseDecimal(value: string): number | undefined {
  if (!/^[0-9]{1,15}$/.test(value)) return undefined;
  return Number(value);
}

function unsetVariables(env: NodeJS.ProcessEnv): void {
  for (const name of VARIABLES) delete env[name];
}
