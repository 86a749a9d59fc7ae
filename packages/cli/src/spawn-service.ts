import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Socket } from 'node:net';

/** What a service is started with: its fds from 3 on (or its stdio in inetd mode) and its variables. */
export interface ServiceStart {
  command: string[];
  /** fds placed at 3, 4, …, or sockets placed there; with inetd the connection goes on 0 and 1 */
  passed: (number | Socket)[];
  inetdConnection?: Socket;
  env: NodeJS.ProcessEnv;
  /** set LISTEN_PID to the service's own pid */
  listenPid: boolean;
  /** set WATCHDOG_PID to the service's own pid */
  watchdogPid: boolean;
}

// util-linux's, on every Debian and most Linux systems: sets the parent-death signal, then execs.
const SETPRIV = '/usr/bin/setpriv';
// What the service gets when sdnode dies: SIGKILL, as sdnode's own end was forced. Not SIGTERM: the
// kernel sends the signal again as each of sdnode's threads ends (the child passes from thread to
// thread before init takes it), and a second SIGTERM forces a service's stop anyway (serveUntilStopped).
export const PARENT_DEATH_SIGNAL = 'SIGKILL';

/** Whether a service can be tied to sdnode's life (PR_SET_PDEATHSIG through setpriv); checked once. */
export const canTieToParent: boolean = (() => {
  try {
    accessSync(SETPRIV, constants.X_OK);
    return true;
  } catch {
    return false;
  }
})();

/**
 * Starts a service. systemd sets LISTEN_PID (and WATCHDOG_PID) to the pid of the process it
 * execs; spawn() cannot put a pid nobody knows yet into an environment, so the service starts
 * through `sh -c 'export LISTEN_PID=$$; exec "$@"'`: the shell's $$ is its own pid, and exec
 * keeps that pid for COMMAND, so the variable names COMMAND itself, exactly as under systemd (a
 * check of LISTEN_PID == process.pid passes). The shell costs about a millisecond and closes no fds.
 *
 * The fds go in spawn()'s stdio array, which dup2()s each one to its index and clears
 * close-on-exec there: public API, and what a manager's fork+exec does. stdin is never the
 * terminal (/dev/null, or the connection with --inetd).
 *
 * The service runs in a session of its own (detached: setsid()): a terminal's Ctrl-C, Ctrl-Z and
 * Ctrl-\ reach sdnode alone, which passes on one signal, as a manager does; and without a
 * controlling terminal the service is never stopped for reading or writing it (SIGTTIN, SIGTTOU).
 * `setpriv --pdeathsig` (execs too, so the pid stays the service's) has the kernel kill it
 * when sdnode dies, even by SIGKILL: it does not run on orphaned. Node spawns from the main thread,
 * the one whose end the kernel watches, and that thread lives as long as sdnode.
 */
export function spawnService(start: ServiceStart): ChildProcess {
  const exports = [start.listenPid ? 'LISTEN_PID' : '', start.watchdogPid ? 'WATCHDOG_PID' : ''].filter(Boolean);
  const stdio: StdioOptions =
    start.inetdConnection !== undefined
      ? [start.inetdConnection, start.inetdConnection, 'inherit']
      : ['ignore', 'inherit', 'inherit', ...start.passed];
  const script = `${exports.map((name) => `${name}=$$`).join(' ')}; export ${exports.join(' ')}; exec "$@"`;
  const command = exports.length === 0 ? start.command : ['/bin/sh', '-c', script, 'sdnode', ...start.command];
  const tied = canTieToParent ? [SETPRIV, `--pdeathsig=${PARENT_DEATH_SIGNAL}`, '--', ...command] : command;
  return spawn(tied[0] as string, tied.slice(1), { stdio, env: start.env, detached: true });
}
