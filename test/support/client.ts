import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

// The tests' clients, all to 127.0.0.1 (or a unix path), all bounded in time.

export type Target = number | { port: number; host?: string } | { path: string };

function connectTo(target: Target): net.Socket {
  if (typeof target === 'number') return net.connect({ port: target, host: '127.0.0.1' });
  return net.connect('path' in target ? { path: target.path } : { port: target.port, host: target.host ?? '127.0.0.1' });
}

/** One connection: sends `data`, half-closes, and resolves with every byte received until the server ends it. */
export function exchange(target: Target, data: Buffer | string = '', timeoutMs = 20_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connectTo(target);
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(
        new Error(`no end from ${JSON.stringify(target)} within ${timeoutMs} ms (got ${JSON.stringify(Buffer.concat(chunks).toString())})`),
      ),
    );
    socket.on('connect', () => socket.end(data));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', (error) => reject(Object.assign(error, { received: Buffer.concat(chunks) })));
  });
}

/** `exchange()` as text: everything the server sends until it closes. */
export async function request(target: Target, options: { send?: string; timeoutMs?: number } = {}): Promise<string> {
  return (await exchange(target, options.send ?? '', options.timeoutMs)).toString('utf8');
}

export interface Answer {
  data: string;
  /** The error code (ECONNREFUSED, ECONNRESET…) or message, when the connection did not end cleanly. */
  error?: string;
}

/** `request()` that never rejects, for storms that count outcomes: what arrived, and what went wrong. */
export async function fetchAnswer(target: Target, timeoutMs = 30_000): Promise<Answer> {
  try {
    return { data: await request(target, { timeoutMs }) };
  } catch (error) {
    const failed = error as NodeJS.ErrnoException & { received?: Buffer };
    return { data: failed.received?.toString('utf8') ?? '', error: failed.code ?? failed.message };
  }
}

/** A connected socket (paused with `paused`: it reads nothing until the test says so). */
export function connect(target: Target, options: { paused?: boolean } = {}): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTo(target);
    if (options.paused) socket.pause();
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Opens and drops a TCP connection to wake systemd-socket-activate; the outcome of the connection does not matter. */
export function knock(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.on('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', () => resolve());
  });
}

/** GET `path` over a fresh connection (no agent keeps it), from a TCP port or a unix socket. */
export function httpGet(
  target: number | { socketPath: string },
  urlPath = '/',
  timeoutMs = 20_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const where = typeof target === 'number' ? { host: '127.0.0.1', port: target } : target;
    const req = http.get({ ...where, path: urlPath, agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${JSON.stringify(target)} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Reads a socket (paused or not) to its end and closes our side. */
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
