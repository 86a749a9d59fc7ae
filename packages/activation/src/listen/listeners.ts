import type { ListenOptions as NetListenOptions, Server } from 'node:net';
import { claim, release } from './adopted-fds.js';
import { adoptedBacklog, checkBacklog } from './backlog.js';
import { SystemdError } from '../errors.js';
import type { ListenFd } from './environment.js';
import { describeNoneFitted, describePassed, type FdSelection, type Selected, selectFds } from './select-fd.js';

export interface ListenOptions extends FdSelection {
  /** Where to listen when the process was not socket-activated (no LISTEN_FDS): `{port, host}` or `{path}`. */
  fallback?: NetListenOptions;
  /**
   * The listen(2) backlog for an adopted socket. Node listens again on an fd it adopts; by default
   * the socket keeps the backlog it has (a TCP socket, with the native part: its unit's Backlog=),
   * else it gets the kernel's cap, net.core.somaxconn, which is systemd's default Backlog=. Give the
   * unit's Backlog= here for a unix socket whose unit sets a smaller one. Not used for the fallback
   * (put `backlog` in `fallback`).
   */
  backlog?: number;
}

/** Where listen() made the server listen: on an inherited fd, or on the fallback. */
export type Listening = { activated: true; fd: number; name: string } | { activated: false };

/** What listenAll() made listen: one server per inherited fd (`fds[i]` is `servers[i]`'s), or one on the fallback. */
export type ListeningAll<S extends Server> =
  | { activated: true; servers: S[]; fds: ListenFd[] }
  | { activated: false; servers: S[]; fds: [] };

/**
 * Makes `server` (net.Server, http.Server, …) listen on the activated listening stream socket,
 * selected by `name`/`fd` when given, else on `fallback` when the process was not socket-activated.
 * The fd's kind is checked before Node sees it: a wrong kind is an error and the fd stays open.
 * @throws SystemdError (the promise rejects) `EINVAL` for a bad `backlog`, for several listening sockets and no selection,
 *   a wrong kind or a wrapper (LISTEN_PID names another process); `ENOENT` when activated without a
 *   fitting fd, or neither activated nor given a fallback; `EEXIST` for an fd already adopted;
 *   selectFds()'s and server.listen()'s errors
 */
export async function listen(server: Server, options: ListenOptions = {}): Promise<Listening> {
  const backlog = checkBacklog(options.backlog);
  const selected = selectFds(options, 'listening-stream');
  const chosen = selected.fds;
  if (chosen.length > 1) {
    throw new SystemdError(
      `${chosen.length} activated listening sockets (${describePassed(chosen)})${options.name === undefined ? '' : ` are named "${options.name}"`}: ` +
        'choose one with the name option (LISTEN_FDNAMES, FileDescriptorName=) or use listenAll()',
      'EINVAL',
      { subject: 'name', value: options.name ?? '' },
    );
  }
  const [one] = chosen;
  if (one !== undefined) {
    await listenOn(server, { fd: one.fd }, one.fd, adoptedBacklog(one.info, backlog));
    return { activated: true, fd: one.fd, name: one.name };
  }
  await listenOn(server, fallbackOrThrow(selected, options), undefined);
  return { activated: false };
}

/**
 * One server (from `createServer()`) per selected activated listening stream socket, or one on the
 * fallback; the result says which. If one adoption fails, the servers already listening are closed.
 * @throws SystemdError (the promise rejects) as listen() does, except that several sockets are fine
 */
export async function listenAll<S extends Server>(createServer: () => S, options: ListenOptions = {}): Promise<ListeningAll<S>> {
  const backlog = checkBacklog(options.backlog);
  const selected = selectFds(options, 'listening-stream');
  if (selected.fds.length === 0) {
    const server = createServer();
    await listenOn(server, fallbackOrThrow(selected, options), undefined);
    return { activated: false, servers: [server], fds: [] };
  }
  const servers: S[] = [];
  try {
    for (const one of selected.fds) {
      const server = createServer();
      servers.push(server);
      await listenOn(server, { fd: one.fd }, one.fd, adoptedBacklog(one.info, backlog));
    }
  } catch (error) {
    for (const server of servers) server.close();
    throw error;
  }
  return { activated: true, servers, fds: selected.fds.map(({ fd, name }) => ({ fd, name })) };
}

// An fd's backlog goes as listen()'s second argument: Node (20 at least) ignores `backlog` in `{ fd }`.
function listenOn(server: Server, target: NetListenOptions | { fd: number }, fd: number | undefined, backlog?: number): Promise<void> {
  if (fd !== undefined) claim(fd);
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      // Node closes the fd when listen({fd}) fails: it can no longer be adopted.
      if (fd !== undefined) release(fd);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    try {
      if (backlog === undefined) server.listen(target);
      else server.listen(target, backlog);
    } catch (error) {
      // Thrown before the fd was touched (e.g. the server is already listening).
      server.off('error', onError);
      server.off('listening', onListening);
      if (fd !== undefined) release(fd);
      reject(error);
    }
  });
}

/**
 * The fallback serves a process that was not socket-activated at all. A process that was given fds
 * but none that fits has a configuration error: listening elsewhere would hide it (and under
 * PrivateNetwork=yes nobody could reach the fallback).
 */
function fallbackOrThrow(selected: Selected, options: ListenOptions): NetListenOptions {
  const { passed } = selected;
  if (passed.length === 0 && options.fallback !== undefined) return options.fallback;
  throw new SystemdError(
    passed.length === 0
      ? 'not socket-activated (LISTEN_FDS is not set for this process) and no fallback given: pass { fallback: { port, host } } or run under a socket unit'
      : `no activated listening stream socket${options.name === undefined ? '' : ` named "${options.name}"`} among ${describeNoneFitted(selected)}` +
          (options.fallback === undefined
            ? ' and no fallback given'
            : ': the fallback is only used when the process is not socket-activated'),
    'ENOENT',
    { subject: options.name === undefined ? 'LISTEN_FDS' : 'LISTEN_FDNAMES' },
  );
}
