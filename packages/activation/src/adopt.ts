import type dgram from 'node:dgram';
import type { ListenOptions as NetListenOptions, Server } from 'node:net';
import { SystemdError } from './errors.js';
import { fdInfo, type FdInfo } from './fd-info.js';
import { listenFds, type ListenFd } from './listen-fds.js';

export interface ListenOptions {
  /** Only fds with this LISTEN_FDNAMES name (FileDescriptorName=, `--fdname`). */
  name?: string;
  /** Where to listen when the process was not socket-activated (no LISTEN_FDS): `{port, host}` or `{path}`. */
  fallback?: NetListenOptions;
  /** The fds to choose from (default listenFds()). */
  fds?: ListenFd[];
}

export interface Listening {
  activated: boolean;
  fd?: number;
  name?: string;
}

/** fds this process has handed to a Node object; Node itself would fail a second time with EEXIST. */
const adopted = new Set<number>();

/**
 * Makes `server` (net.Server, http.Server, …) listen on the activated listening stream socket,
 * selected by `name` when given, else on `fallback`. The fd's kind is checked before Node sees it:
 * a wrong kind is a SystemdError and the fd stays open.
 */
export async function listen(server: Server, options: ListenOptions = {}): Promise<Listening> {
  const chosen = selectListeners(options);
  if (chosen.length > 1) {
    throw new SystemdError(
      `${chosen.length} activated listening sockets (${describeAll(chosen)})${options.name === undefined ? '' : ` are named "${options.name}"`}: ` +
        'choose one with the name option (LISTEN_FDNAMES, FileDescriptorName=) or use listenAll()',
      'EINVAL',
      { variable: 'name', value: options.name ?? '' },
    );
  }
  const [one] = chosen;
  if (one !== undefined) {
    await listenOn(server, { fd: one.fd }, one);
    return { activated: true, fd: one.fd, name: one.name };
  }
  await listenOn(server, fallbackOrThrow(options), undefined);
  return { activated: false };
}

/** One server per activated listening stream socket (selected by `name` when given), or one on `fallback`. */
export async function listenAll(createServer: () => Server, options: ListenOptions = {}): Promise<Server[]> {
  const chosen = selectListeners(options);
  if (chosen.length === 0) {
    const server = createServer();
    await listenOn(server, fallbackOrThrow(options), undefined);
    return [server];
  }
  const servers: Server[] = [];
  try {
    for (const one of chosen) {
      const server = createServer();
      servers.push(server);
      await listenOn(server, { fd: one.fd }, one);
    }
  } catch (error) {
    for (const server of servers) server.close();
    throw error;
  }
  return servers;
}

/**
 * A UDP socket on an activated datagram fd (the single one among listenFds() when `fd` is not given),
 * created as udp4 or udp6 after the fd's family: the other would receive but fail to send.
 */
export function adoptDatagram(fd?: number | ListenFd): dgram.Socket {
  const selected = typeof fd === 'number' ? { fd, name: undefined } : (fd ?? singleDatagram());
  const info = fdInfo(selected.fd);
  if (info.kind !== 'socket' || info.type !== 'dgram') {
    throw wrongKind(info, 'a UDP datagram socket (ListenDatagram=, systemd-socket-activate --datagram)');
  }
  if (info.family === 'unix') {
    throw new SystemdError(
      `fd ${info.fd} is an AF_UNIX datagram socket${info.path ? ` (${info.path})` : ''}: Node cannot adopt AF_UNIX datagram sockets (no core API accepts them); use a UDP socket`,
      'EPROTOTYPE',
      { variable: 'fd', value: String(info.fd) },
    );
  }
  if (info.family !== 'inet4' && info.family !== 'inet6') {
    throw new SystemdError(
      `fd ${info.fd}: cannot tell whether the datagram socket is IPv4 or IPv6 (${info.family ?? 'family unknown: native part not loaded and the socket is not in /proc/self/net'})`,
      'EAFNOSUPPORT',
      { variable: 'fd', value: String(info.fd) },
    );
  }
  claim(info.fd);
  const socket = process.getBuiltinModule('node:dgram').createSocket(info.family === 'inet6' ? 'udp6' : 'udp4');
  try {
    socket.bind({ fd: info.fd }); // synchronous for an fd: bound, 'listening' already emitted
  } catch (error) {
    adopted.delete(info.fd);
    throw error;
  }
  return socket;
}

/** The listening stream sockets the options select; wrong kinds are an error only when explicitly selected. */
function selectListeners(options: ListenOptions): ListenFd[] {
  const fds = options.fds ?? listenFds();
  const candidates = options.name === undefined ? fds : fds.filter((f) => f.name === options.name);
  const infos = candidates.map((f) => fdInfo(f.fd));
  const listeners = candidates.filter((_, i) => isListeningStream(infos[i]!));
  const explicit = options.name !== undefined || options.fds !== undefined;
  if (explicit && listeners.length === 0 && infos.length > 0) {
    throw wrongKind(infos[0]!, 'a listening stream socket (ListenStream=, systemd-socket-activate -l)', candidates[0]!.name);
  }
  return listeners;
}

function listenOn(server: Server, target: NetListenOptions | { fd: number }, fd: ListenFd | undefined): Promise<void> {
  if (fd !== undefined) claim(fd.fd);
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      // Node closes the fd when listen({fd}) fails: it can no longer be adopted.
      if (fd !== undefined) adopted.delete(fd.fd);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    try {
      server.listen(target);
    } catch (error) {
      // Thrown before the fd was touched (e.g. the server is already listening).
      server.off('error', onError);
      server.off('listening', onListening);
      if (fd !== undefined) adopted.delete(fd.fd);
      reject(error);
    }
  });
}

/**
 * The fallback serves a process that was not socket-activated at all. A process that was given fds
 * but none that fits has a configuration error: listening elsewhere would hide it (and under
 * PrivateNetwork=yes nobody could reach the fallback).
 */
function fallbackOrThrow(options: ListenOptions): NetListenOptions {
  const fds = options.fds ?? listenFds();
  if (fds.length === 0 && options.fallback !== undefined) return options.fallback;
  throw new SystemdError(
    fds.length === 0
      ? 'not socket-activated (LISTEN_FDS is not set for this process) and no fallback given: pass { fallback: { port, host } } or run under a socket unit'
      : `no activated listening stream socket${options.name === undefined ? '' : ` named "${options.name}"`} among ${describeAll(fds)}` +
          (options.fallback === undefined
            ? ' and no fallback given'
            : ': the fallback is only used when the process is not socket-activated'),
    'ENOENT',
    { variable: options.name === undefined ? 'LISTEN_FDS' : 'LISTEN_FDNAMES' },
  );
}

function singleDatagram(): ListenFd {
  const fds = listenFds();
  const datagrams = fds.filter((f) => {
    const info = fdInfo(f.fd);
    return info.kind === 'socket' && info.type === 'dgram';
  });
  if (datagrams.length === 1) return datagrams[0]!;
  throw new SystemdError(
    datagrams.length === 0
      ? fds.length === 0
        ? 'no datagram socket: LISTEN_FDS is not set for this process; run with systemd-socket-activate --datagram or a socket unit with ListenDatagram='
        : `no datagram socket among ${describeAll(fds)}`
      : `${datagrams.length} datagram sockets (${describeAll(datagrams)}): pass the one to adopt`,
    datagrams.length === 0 ? 'ENOENT' : 'EINVAL',
    { variable: 'LISTEN_FDS' },
  );
}

/** Marks `fd` as handed to a Node object; throws SystemdError EEXIST when it already was. */
export function claim(fd: number): void {
  if (adopted.has(fd)) {
    throw new SystemdError(`fd ${fd} was already adopted by this process: each fd can be given to one Node object only`, 'EEXIST', {
      variable: 'fd',
      value: String(fd),
    });
  }
  adopted.add(fd);
}

/** Undoes claim() when the adoption failed before Node took the fd. */
export function releaseClaim(fd: number): void {
  adopted.delete(fd);
}

/** Unknown family/type (no native part, other network namespace): trusted, as systemd passes what the unit asks for. */
function isListeningStream(info: FdInfo): boolean {
  if (info.kind !== 'socket') return false;
  if (info.type === undefined) return true;
  return info.type === 'stream' && info.listening === true;
}

/** The error for an fd of the wrong kind, which is left open. */
export function wrongKind(info: FdInfo, expected: string, name?: string): SystemdError {
  return new SystemdError(
    `fd ${info.fd}${name === undefined ? '' : ` ("${name}")`} is ${describe(info)}: expected ${expected}; the fd was left open`,
    'EINVAL',
    { variable: 'fd', value: String(info.fd) },
  );
}

function describe(info: FdInfo): string {
  if (info.kind === 'fifo') return 'a FIFO';
  if (info.kind === 'file') return 'a regular file';
  if (info.kind === 'other') return 'neither a socket, a FIFO nor a file';
  const family = info.family === undefined ? '' : `${info.family} `;
  const type = info.type ?? 'unknown-type';
  const state = info.type === 'stream' ? (info.listening ? 'listening ' : 'connected ') : '';
  const words = `${state}${family}${type} socket`;
  return `${/^[aeiou]/.test(words) ? 'an' : 'a'} ${words}`;
}

function describeAll(fds: ListenFd[]): string {
  return fds.map((f) => `fd ${f.fd} "${f.name}"`).join(', ');
}
