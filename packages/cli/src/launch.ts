import type { Socket } from 'node:net';
import type { Event } from './events.js';
import type { ActivateOptions } from './options.js';
import type { Service } from './services.js';
import { spawnService } from './spawn-service.js';

// Variables sdnode sets itself: never passed through from its own environment.
const MANAGED = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES', 'NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'];

/** sdnode's environment without the variables it sets for each service itself. */
export function inheritedEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !MANAGED.includes(name)));
}

/** What one start passes: fds (or the inetd connection), its variables, and how the start event says so. */
export interface Launch {
  reason: string;
  passed: (number | Socket)[];
  inetdConnection?: Socket;
  env: NodeJS.ProcessEnv;
  listenPid: boolean;
  /** the fds in words, for the start event: "LISTEN_FDS=2 LISTEN_FDNAMES=…" */
  described: string;
}

/**
 * Starts COMMAND with NOTIFY_SOCKET (and the watchdog's variables) added to `launch.env`, and says so.
 * Returns the running service, or undefined when it could not start: then `cannotStart` is
 * called with spawn()'s error once it is known.
 */
export function launchService(
  options: ActivateOptions,
  notifySocket: string | undefined,
  launch: Launch,
  print: (event: Event) => void,
  cannotStart: (error: Error) => void,
): Service | undefined {
  const watchdogUsec = options.watchdogUsec;
  const env: NodeJS.ProcessEnv = { ...launch.env, NOTIFY_SOCKET: notifySocket };
  if (watchdogUsec !== undefined) env.WATCHDOG_USEC = String(watchdogUsec);
  const { reason, described, ...start } = launch;
  const child = spawnService({ ...start, command: options.command, env, watchdogPid: watchdogUsec !== undefined });
  if (child.pid === undefined) {
    child.once('error', cannotStart);
    return undefined;
  }
  const service: Service = {
    process: child,
    pid: child.pid,
    startedAt: Date.now(),
    watchdogMs: watchdogUsec === undefined ? undefined : Number(watchdogUsec) / 1000,
    restart: false,
  };
  print({ event: 'start', pid: child.pid, message: `started (${reason}): ${options.command.join(' ')} (${described})`, reason });
  // A failed kill() is reported here; unheard, it would end sdnode.
  child.on('error', (error) => print({ event: 'error', pid: service.pid, message: error.message }));
  return service;
}
