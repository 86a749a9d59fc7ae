import { type BigIntStats, fstatSync } from 'node:fs';
import { SystemdError } from '../errors.js';
import { handOnToWorkers, primaryFds, removeHandOn } from './primary-fds.js';
import { type ListenEnvironment, type ListenFd, parseListenEnvironment, SD_LISTEN_FDS_START } from './environment.js';
import { createdByThisProcess } from './own-fds.js';
import { processGlobal } from '../process-global.js';

export interface ListenFdsOptions {
  /** Remove LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES after reading them, on every path (default true). */
  unsetEnvironment?: boolean;
  /** The environment to read (default process.env, whose result is kept for the process). */
  env?: NodeJS.ProcessEnv;
  /** The pid LISTEN_PID must name (default process.pid). */
  pid?: number;
}

const VARIABLES = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES'] as const;

/**
 * The outcome of the one read of process.env. Children inherit the variables but not the fds, so they
 * are read once and removed; every copy of the library in the process shares this one outcome.
 */
const processRead = processGlobal(
  'process-activation',
  () => ({}) as { outcome?: { environment: ListenEnvironment } | { error: unknown; listenPidMatches: boolean } },
);

/**
 * The fds passed by socket activation, as sd_listen_fds_with_names() defines them: none unless
 * LISTEN_PID names this process; LISTEN_FDS fds starting at fd 3, each checked to be open and
 * inherited (not one Node created itself in a free slot); names from LISTEN_FDNAMES split on ':'
 * (empty fields kept), `unknown` when the variable is absent.
 *
 * On process.env (the default) the variables are read once per process and the result is kept, so
 * later calls, and the adopting functions, see the same fds. With `env` given nothing is kept.
 * @throws SystemdError `EINVAL` for a malformed variable (see parseListenEnvironment), `EBADF` naming
 *   LISTEN_FDS and the fd when an fd in the range is not open or was made by this process
 */
export function listenFds(options: ListenFdsOptions = {}): ListenFd[] {
  const env = options.env ?? process.env;
  const pid = options.pid ?? process.pid;
  const unset = options.unsetEnvironment !== false;
  if (env === process.env && pid === process.pid) return copy(activationState({ unsetEnvironment: unset }).fds);
  try {
    return copy(inherited(parseListenEnvironment(env, pid), env).fds);
  } finally {
    if (unset) unsetVariables(env);
  }
}

/**
 * What socket activation gave this process: the passed fds and, when LISTEN_FDS was meant for another
 * process (a wrapper), which one. Reads process.env the first time (removing the variables unless
 * `unsetEnvironment: false`), then returns the same outcome, in every copy of the library.
 * @throws SystemdError as listenFds() does, the same error on every call
 */
export function activationState(options: { unsetEnvironment?: boolean } = {}): ListenEnvironment {
  const env = process.env;
  const pid = process.pid;
  const unset = options.unsetEnvironment !== false;
  if (processRead.outcome === undefined) {
    try {
      processRead.outcome = { environment: readProcessEnvironment(env, pid) };
    } catch (error) {
      processRead.outcome = { error, listenPidMatches: env.LISTEN_PID === String(pid) };
    } finally {
      if (unset) removeForChildren(env);
    }
  } else if (unset && env.LISTEN_PID === String(pid)) {
    // Set again after the first read (a copy that asked to keep them): removed now. Someone else's are left alone.
    removeForChildren(env);
  }
  const outcome = processRead.outcome;
  if ('error' in outcome) throw outcome.error;
  const { primaryFds: primary, ...environment } = outcome.environment;
  return { ...environment, fds: copy(environment.fds), ...(primary === undefined ? {} : { primaryFds: copy(primary) }) };
}

/** This process's activation; in a cluster worker, its primary's fds instead of a wrapper's. */
function readProcessEnvironment(env: NodeJS.ProcessEnv, pid: number): ListenEnvironment {
  const parsed = parseListenEnvironment(env, pid);
  const primary = primaryFds(env, parsed);
  if (primary !== undefined) return { fds: [], listenPidMatches: false, primaryFds: primary };
  return inherited(parsed, env);
}

/** True when LISTEN_PID named this process at the first read of process.env, even if the rest was malformed. */
export function listenPidNamedThisProcess(): boolean {
  try {
    return activationState({ unsetEnvironment: false }).listenPidMatches;
  } catch {
    const outcome = processRead.outcome;
    return outcome !== undefined && 'error' in outcome && outcome.listenPidMatches;
  }
}

/** Checks that each fd is open (every one first: a gap is the plainer finding), then that it was inherited. */
function inherited(environment: ListenEnvironment, env: NodeJS.ProcessEnv): ListenEnvironment {
  const count = environment.fds.length;
  const range = `expected fds ${SD_LISTEN_FDS_START}…${SD_LISTEN_FDS_START + count - 1} passed by the service manager`;
  const stats = environment.fds.map(({ fd }): [number, BigIntStats] => {
    try {
      // bigint, as fdInfo() asks next: each kind of fstat result costs set-up time on first use.
      return [fd, fstatSync(fd, { bigint: true })];
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'EBADF';
      throw new SystemdError(`LISTEN_FDS=${count}: fd ${fd} is not open (${code}); ${range}`, code, {
        subject: 'LISTEN_FDS',
        value: env.LISTEN_FDS,
        cause,
      });
    }
  });
  for (const [fd, stat] of stats) {
    const own = createdByThisProcess(fd, stat);
    if (own !== undefined) {
      throw new SystemdError(
        `LISTEN_FDS=${count}: fd ${fd} is ${own}, which Node created for itself at start-up in a free slot: ` +
          `fd ${fd} was not passed; ${range}. LISTEN_FDS says more fds than the process inherited (set by hand, or by a wrapper that closed them?)`,
        'EBADF',
        { subject: 'LISTEN_FDS', value: env.LISTEN_FDS },
      );
    }
  }
  return environment;
}

/** Removes the variables for this process's children, but leaves its fds to the cluster workers it may fork. */
function removeForChildren(env: NodeJS.ProcessEnv): void {
  unsetVariables(env);
  removeHandOn(env);
  const outcome = processRead.outcome;
  if (outcome !== undefined && 'environment' in outcome) handOnToWorkers(env, outcome.environment.fds);
}

function copy(fds: ListenFd[]): ListenFd[] {
  return fds.map((f) => ({ ...f }));
}

function unsetVariables(env: NodeJS.ProcessEnv): void {
  for (const name of VARIABLES) delete env[name];
}
