import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';

/** What a service is started with: its fds from 3 on (or its stdio in inetd mode) and its variables. */
export interface ServiceStart {
  command: string[];
  /** fds placed at 3, 4, …, or sockets placed there; with inetd the connection goes on 0 and 1 */
  passed: (number | import('node:net').Socket)[];
  inetdConnection?: import('node:net').Socket;
  env: NodeJS.ProcessEnv;
  /** set LISTEN_PID to the service's own pid */
  listenPid: boolean;
  /** set WATCHDOG_PID to the service's own pid */
  watchdogPid: boolean;
}

/**
 * Starts a service. systemd sets LISTEN_PID (and WATCHDOG_PID) to the pid of the process it
 * execs; spawn() cannot put a pid nobody knows yet into an environment, so the service starts
 * through `sh -c 'export LISTEN_PID=$$; exec "$@"'`: the shell's $$ is its own pid, and exec
 * keeps that pid for COMMAND, so the variable names COMMAND itself, exactly as under systemd (a
 * check of LISTEN_PID == process.pid passes). The shell costs about a millisecond and closes no fds.
 *
 * The fds go in spawn()'s stdio array, which dup2()s each one to its index and clears
 * close-on-exec there: public API, and what a manager's fork+exec does.
 */
export function spawnService(start: ServiceStart): ChildProcess {
  const exports = [start.listenPid ? 'LISTEN_PID' : '', start.watchdogPid ? 'WATCHDOG_PID' : ''].filter(Boolean);
  const stdio: StdioOptions =
    start.inetdConnection !== undefined
      ? [start.inetdConnection, start.inetdConnection, 'inherit']
      : ['ignore', 'inherit', 'inherit', ...start.passed];
  if (exports.length === 0) return spawn(start.command[0] as string, start.command.slice(1), { stdio, env: start.env });
  const script = `${exports.map((name) => `${name}=$$`).join(' ')}; export ${exports.join(' ')}; exec "$@"`;
  return spawn('/bin/sh', ['-c', script, 'sdnode', ...start.command], { stdio, env: start.env });
}
