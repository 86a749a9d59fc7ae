// serveUntilStopped with HTTP servers, whose clients keep connections open between requests: the
// stop must end them once what is in flight is done, not wait for the clients or for a timeout.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { serveUntilStopped, type Serving } from '../../src/serve/serve-until-stopped.js';

function listening(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** serveUntilStopped without signal handlers; `stopped` resolves when it would have exited. */
function serve(server: net.Server): { serving: Serving; stopped: Promise<void> } {
  let serving: Serving | undefined;
  const stopped = new Promise<void>((resolve) => {
    serving = serveUntilStopped([server], { signals: [], onStopped: () => resolve() });
  });
  return { serving: serving!, stopped };
}

describe('serveUntilStopped with HTTP servers', () => {
  it('HTTP/1.1: ends the keep-alive connection of a request in flight once its response is written', async () => {
    let stopInHandler = (): void => {};
    const server = http.createServer((_req, res) => {
      stopInHandler();
      setImmediate(() => res.end('done'));
    });
    // Far longer than the client waits: only the stop can end the connection in time.
    server.keepAliveTimeout = 600_000;
    const port = await listening(server);
    const { serving, stopped } = serve(server);
    stopInHandler = () => serving.stop('test');
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      let received = '';
      socket.setEncoding('utf8');
      socket.setTimeout(20_000, () => socket.destroy(new Error('the connection was not ended')));
      socket.on('data', (chunk: string) => (received += chunk));
      socket.once('end', () => resolve(received));
      socket.once('error', reject);
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\nConnection: keep-alive\r\n[\s\S]*\r\n\r\ndone$/);
    await stopped;
  });

  // Node 26's server.close() destroyed such a connection, its request unread: the client got a reset.
  it('HTTP/1.1: a connection accepted before the stop whose request is not read yet is answered, not reset', async () => {
    const server = http.createServer((_req, res) => res.end('done'));
    const port = await listening(server);
    const { serving, stopped } = serve(server);
    // The stop begins as the connection is accepted, before its request is read.
    server.once('connection', () => serving.stop('test'));
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
      let received = '';
      socket.setEncoding('utf8');
      socket.setTimeout(20_000, () => socket.destroy(new Error('the connection was not ended')));
      socket.on('data', (chunk: string) => (received += chunk));
      socket.once('end', () => resolve(received));
      socket.once('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\ndone$/);
    await stopped;
  });

  it('HTTP/1.1: an answered keep-alive connection that waits for its next request is closed at the stop', async () => {
    const server = http.createServer((_req, res) => res.end('done'));
    server.keepAliveTimeout = 600_000;
    const port = await listening(server);
    const { serving, stopped } = serve(server);
    const socket = net.connect({ port, host: '127.0.0.1' });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => {});
    await new Promise((resolve) => {
      socket.once('data', resolve);
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    });
    serving.stop('test');
    await closed;
    await stopped;
    expect(socket.destroyed).toBe(true);
  });

  it('HTTP/2: a GOAWAY ends an idle session, and a stream in flight finishes first', async () => {
    const server = http2.createServer((_req, res) => res.end('done'));
    const port = await listening(server);
    const { serving, stopped } = serve(server);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const closed = new Promise((resolve) => session.once('close', resolve));
    const stream = session.request({ ':path': '/', ':method': 'POST' }, { endStream: false });
    let answer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (answer += chunk));
    await new Promise((resolve) => stream.once('response', resolve));
    serving.stop('test');
    await new Promise((resolve) => session.once('goaway', resolve));
    stream.end('body');
    await closed;
    await stopped;
    expect(answer).toBe('done');
  });
});
