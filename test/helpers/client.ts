import fs from 'node:fs';
import net from 'node:net';

/** One connection: everything the server sends until it closes, as text. */
export function request(port: number, options: { send?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let received = '';
    socket.setEncoding('utf8');
    socket.setTimeout(options.timeoutMs ?? 20_000, () => socket.destroy(new Error(`no end from port ${port}`)));
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve(received));
    if (options.send === undefined) socket.end();
    else socket.end(options.send);
  });
}

/** A connected socket, paused: it reads nothing until the test says so. */
export function connectPaused(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.pause();
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads a paused socket to its end and closes our side. */
export function readToEnd(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.once('error', reject);
    socket.once('end', () => {
      socket.end();
      resolve(received);
    });
    socket.resume();
  });
}

/** Connects and resets at once (RST, not FIN). Resolves when the reset has been sent. */
export function connectAndReset(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.resetAndDestroy();
      socket.once('close', () => resolve());
    });
  });
}

/** Resolves with the error code of a connection attempt that fails, or undefined if it connects. */
export function connectError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
}

/**
 * Bytes the server side of the connection from `clientPort` to `serverPort` has not read yet, from
 * /proc/net/tcp (undefined while the connection is not listed).
 */
export function unreadByServer(serverPort: number, clientPort: number): number | undefined {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local, remote, , queues] = line.trim().split(/\s+/);
    if (local?.endsWith(`:${hex(serverPort)}`) && remote?.endsWith(`:${hex(clientPort)}`)) {
      return Number.parseInt(queues?.split(':')[1] ?? '', 16);
    }
  }
  return undefined;
}
