import { createServer, type Server, type Socket } from 'node:net';
import { showAddress } from './address.js';
import type { Event } from './events.js';
import type { Launch } from './launch.js';
import type { Listener } from './listeners.js';

/**
 * --accept: here Node does accept, one service per connection; pauseOnConnect keeps every byte
 * unread for the service. `start` launches it; the connection is closed here afterwards, since
 * the service has its own copy by then. Returns the servers, which own the listeners' fds.
 */
export function acceptConnections(
  listeners: readonly Listener[],
  print: (event: Event) => void,
  start: (socket: Socket, listener: Listener) => void,
): Server[] {
  return listeners.map((listener) => {
    const server = createServer({ pauseOnConnect: true }, (socket) => {
      try {
        start(socket, listener);
      } finally {
        socket.destroy(); // the service has its own copy now
      }
    });
    server.on('error', (error) => print({ event: 'error', message: `${showAddress(listener.where)}: ${error.message}` }));
    server.listen({ fd: listener.fd });
    return server;
  });
}

/** One accepted connection's start: as fd 3 (LISTEN_FDS=1), or on fds 0 and 1 with --inetd; REMOTE_ADDR and REMOTE_PORT set. */
export function connectionLaunch(socket: Socket, listener: Listener, inetd: boolean, env: NodeJS.ProcessEnv): Launch {
  const remote = socket.remoteAddress === undefined ? {} : { REMOTE_ADDR: socket.remoteAddress, REMOTE_PORT: String(socket.remotePort) };
  const from = socket.remoteAddress === undefined ? showAddress(listener.where) : `${socket.remoteAddress}:${socket.remotePort}`;
  const reason = `connection from ${from}`;
  if (inetd) {
    return {
      reason,
      passed: [],
      inetdConnection: socket,
      env: { ...env, ...remote },
      listenPid: false,
      described: 'connection on fds 0 and 1',
    };
  }
  return {
    reason,
    passed: [socket],
    env: { ...env, ...remote, LISTEN_FDS: '1', LISTEN_FDNAMES: listener.name },
    listenPid: true,
    described: `LISTEN_FDS=1 LISTEN_FDNAMES=${listener.name}`,
  };
}
