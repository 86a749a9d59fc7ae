// The framework examples (examples/<name>/server.mjs), each with its real framework, under a real
// systemd-socket-activate and started by hand: the activating request and the next are answered,
// the fallback port is used without activation, and SIGTERM lets a request in flight finish before
// the process exits 0. (test/examples/readme.test.ts checks that the docs' excerpts of them are verbatim.)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  activate,
  becomes,
  cleanEnv,
  connectError,
  loopback,
  freePort,
  REPO_ROOT,
  Running,
  stopAll,
  unreadByServer,
} from '../support/index.js';

type Protocol = 'http' | 'https' | 'h2c';
const EXAMPLES: { name: string; protocol: Protocol; body: string }[] = [
  { name: 'express', protocol: 'http', body: 'Hello from Express\n' },
  { name: 'fastify', protocol: 'http', body: 'Hello from Fastify\n' },
  { name: 'koa', protocol: 'http', body: 'Hello from Koa\n' },
  { name: 'hono', protocol: 'http', body: 'Hello from Hono\n' },
  { name: 'nestjs', protocol: 'http', body: 'Hello from NestJS\n' },
  { name: 'https', protocol: 'https', body: 'Hello over TLS\n' },
  { name: 'http2', protocol: 'h2c', body: 'Hello over HTTP/2\n' },
];

// A throwaway certificate for 127.0.0.1, made here rather than shipped: no private key in the
// repository, and the client checks the certificate for real (it trusts this one only).
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sdnode-frameworks-'));
const TLS_KEY = path.join(scratch, 'key.pem');
const TLS_CERT = path.join(scratch, 'cert.pem');
let ca: Buffer;
beforeAll(() => {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', TLS_KEY, '-out', TLS_CERT,
  ], { stdio: 'ignore' }); // biome-ignore format: one option and its value a pair
  ca = fs.readFileSync(TLS_CERT);
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
afterEach(stopAll);

const TLS_ENV = { TLS_KEY, TLS_CERT };
const serverFile = (name: string): string => path.join(REPO_ROOT, 'examples', name, 'server.mjs');

/** Under systemd-socket-activate, which passes on only the variables given with -E. */
function activated(name: string): ReturnType<typeof activate> {
  const env = name === 'https' ? Object.entries(TLS_ENV).flatMap(([key, value]) => ['-E', `${key}=${value}`]) : [];
  return activate((port) => [...env, ...loopback(port)], [process.execPath, serverFile(name)]);
}

interface Answer {
  status: number | undefined;
  body: string;
}

/** GET / over a fresh connection (no agent keeps it), over HTTP/1.1, TLS with the test's CA, or h2c: support's httpGet speaks only the first. */
function get(port: number, protocol: Protocol): Promise<Answer> {
  if (protocol === 'h2c') {
    return new Promise((resolve, reject) => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', reject);
      const stream = session.request({ ':path': '/' });
      let status: number | undefined;
      let body = '';
      stream.setEncoding('utf8');
      stream.on('response', (headers) => (status = Number(headers[':status'])));
      stream.on('data', (chunk: string) => (body += chunk));
      stream.on('end', () => session.close(() => resolve({ status, body })));
      stream.on('error', reject);
    });
  }
  const client = protocol === 'https' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get({ host: '127.0.0.1', port, path: '/', agent: false, ca, timeout: 20_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer from ${port}`)));
    request.on('error', reject);
  });
}

/**
 * An HTTP/1.1 request in flight: the request line and headers sent without the blank line that
 * ends them, and read by the server (so it has accepted the connection and parsed them).
 * `finish()` sends the blank line and returns everything read until the server closes.
 */
async function requestInFlight(port: number, protocol: 'http' | 'https'): Promise<{ finish(): Promise<string> }> {
  const socket = protocol === 'https' ? tls.connect({ host: '127.0.0.1', port, ca }) : net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve, reject) => {
    socket.once(protocol === 'https' ? 'secureConnect' : 'connect', resolve);
    socket.once('error', reject);
  });
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  const ended = new Promise<string>((resolve, reject) => {
    socket.setTimeout(20_000, () => socket.destroy(new Error('the server did not end the connection')));
    socket.once('end', () => resolve(received));
    socket.once('error', reject);
  });
  socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  expect(await becomes(() => unreadByServer(port, socket.localPort ?? 0) === 0)).toBe(true);
  return {
    finish() {
      socket.write('\r\n');
      return ended;
    },
  };
}

describe.each(EXAMPLES)('examples/$name/server.mjs', ({ name, protocol, body }) => {
  it('under systemd-socket-activate answers the activating request and the next with 200', async () => {
    const { process: server, port } = await activated(name);
    expect(await get(port, protocol)).toEqual({ status: 200, body });
    expect(await get(port, protocol)).toEqual({ status: 200, body });
    expect(server.stdout).toBe(`${name}: listening on the activated socket\n`);
    expect(server.alive).toBe(true);
  });

  it('started by hand listens on 127.0.0.1:$PORT', async () => {
    const port = await freePort();
    const server = new Running(process.execPath, [serverFile(name)], { env: cleanEnv({ PORT: String(port), ...TLS_ENV }) });
    await server.waitForOutput(() => server.stdout !== '');
    expect(server.stdout, server.stderr).toBe(`${name}: listening on port ${port}\n`);
    expect(await get(port, protocol)).toEqual({ status: 200, body });
  });

  if (protocol === 'h2c') {
    it('on SIGTERM sends each session a GOAWAY, lets the stream in flight finish, exits 0', async () => {
      const { process: server, port } = await activated(name);
      expect(await get(port, protocol)).toEqual({ status: 200, body });
      const session = http2.connect(`http://127.0.0.1:${port}`);
      const closed = new Promise((resolve) => session.once('close', resolve));
      const goaway = new Promise((resolve) => session.once('goaway', resolve));
      // A POST whose body is not ended yet: the stream stays open after the answer's headers.
      const stream = session.request({ ':path': '/', ':method': 'POST' }, { endStream: false });
      let answer = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (answer += chunk));
      const ended = new Promise((resolve) => stream.once('end', resolve));
      expect(await new Promise((resolve) => stream.once('response', (headers) => resolve(headers[':status'])))).toBe(200);
      server.signal('SIGTERM');
      await goaway;
      expect(server.alive).toBe(true);
      stream.end('the rest of the body');
      await ended;
      expect(answer).toBe(body);
      await closed;
      expect(await server.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    });
  } else {
    it('on SIGTERM stops accepting, lets the request in flight finish, closes its keep-alive connection, exits 0', async () => {
      const { process: server, port } = await activated(name);
      expect(await get(port, protocol)).toEqual({ status: 200, body });
      const slow = await requestInFlight(port, protocol);
      server.signal('SIGTERM');
      // The process held the only copy of the listening socket: once it is closed, nothing listens.
      expect(await becomes(async () => (await connectError(port)) === 'ECONNREFUSED')).toBe(true);
      expect(server.alive).toBe(true);
      const answer = await slow.finish();
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(answer.endsWith(`\r\n\r\n${body}`)).toBe(true);
      expect(await server.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    });
  }
});
