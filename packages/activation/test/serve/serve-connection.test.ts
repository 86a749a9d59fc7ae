// serveConnection() for the per-connection modes: the connection policy with real clients, under
// systemd-socket-activate --accept (fd 3) and --accept --inetd (stdin/stdout).
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveConnection } from '../../src/serve/serve-connection.js';
import {
  activate,
  type Activated,
  assertBuilt,
  fixture,
  jsonLines,
  sleep,
  thrown,
  Trickler,
  waitFor,
} from '../../../../test/support/index.js';

const runs: Activated[] = [];
const tricklers: Trickler[] = [];
beforeAll(assertBuilt);
afterEach(() => {
  for (const t of tricklers.splice(0)) t.destroy();
});
afterAll(() => {
  for (const r of runs) r.kill();
});

const MODES = [
  ['accepted', ['--accept']],
  ['inetd', ['--accept', '--inetd']],
] as const;

async function serve(mode: string, flags: readonly string[], answer: string, options: object): Promise<Activated> {
  const r = await activate(
    (port) => [...flags, '-l', `127.0.0.1:${port}`],
    ['node', fixture('activation', 'serve-connection.mjs'), mode, answer, JSON.stringify(options)],
  );
  runs.push(r);
  return r;
}

/** The exit code systemd-socket-activate logs for its first child, waited for at most `ms`. */
async function childExit(r: Activated, ms: number): Promise<number> {
  await waitFor(`the child to exit (stderr: ${r.stderr()})`, () => /Child \d+ died with code -?\d+/.test(r.stderr()), ms);
  return Number(/Child \d+ died with code (-?\d+)/.exec(r.stderr())![1]);
}

describe.each(MODES)('serveConnection(%s)', (mode, flags) => {
  it('a client that keeps sending after the reply holds the process at most lingerMs', async () => {
    const r = await serve(mode, flags, 'reply', { lingerMs: 1000 });
    const trickler = await Trickler.open(r.port, { everyMs: 1000 });
    tricklers.push(trickler);
    // Its bytes reset the silence timeout (30 s) every second; only the linger bound ends it.
    expect(await childExit(r, 15_000)).toBe(0);
    expect(jsonLines(r.stderr())).toEqual([{ closed: true, readableEnded: false }]);
    expect(await trickler.gone).toMatch(/^(EPIPE|ECONNRESET|close)$/);
  });

  it('an active client, reading and writing within the silence timeout, is never cut', async () => {
    const r = await serve(mode, flags, 'echo', { silenceTimeoutMs: 1000, lingerMs: 1000 });
    const socket = net.connect({ port: r.port, host: '127.0.0.1' });
    let echoed = '';
    socket.setEncoding('utf8').on('data', (d: string) => (echoed += d));
    const ended = new Promise<void>((resolve, reject) => socket.once('end', resolve).once('error', reject));
    // 16 exchanges 300 ms apart: four times the silence timeout, and the linger time, in all.
    for (let i = 0; i < 16; i++) {
      socket.write(String.fromCharCode(97 + i));
      await waitFor(`echo ${i}`, () => echoed.length === i + 1, 5000);
      await sleep(300);
    }
    socket.end();
    await ended;
    expect(echoed).toBe('abcdefghijklmnop');
    expect(await childExit(r, 15_000)).toBe(0);
    expect(jsonLines(r.stderr())).toEqual([{ closed: true, readableEnded: true }]);
  });

  it('a client that sends nothing and never closes is dropped after silenceTimeoutMs', async () => {
    const r = await serve(mode, flags, 'echo', { silenceTimeoutMs: 500 });
    const socket = net.connect({ port: r.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    try {
      expect(await childExit(r, 15_000)).toBe(0);
      expect(jsonLines(r.stderr())).toEqual([{ closed: true, readableEnded: false }]);
    } finally {
      socket.destroy();
    }
  });
});

describe('serveConnection() in this process', () => {
  it('onClosed replaces the exit; the connection is returned', async () => {
    const server = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    try {
      const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
      const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
      let received = '';
      client.setEncoding('utf8').on('data', (d: string) => (received += d));
      const socket = await accepted;
      const closed = new Promise<void>((onClosed) => {
        expect(serveConnection(socket, (c) => c.end('hi\n'), { onClosed })).toBe(socket);
      });
      await new Promise((resolve) => client.once('end', resolve));
      client.end();
      await closed;
      expect(received).toBe('hi\n');
    } finally {
      server.close();
    }
  });

  it('rejects bad options with an error naming the option, before touching the connection', () => {
    const connection = new net.Socket();
    let called = false;
    const error = thrown(() => serveConnection(connection, () => (called = true), { lingerMs: 0 }));
    expect(error.message).toMatch(/^lingerMs=0: expected a number of milliseconds from 1 to 2147483647$/);
    expect(thrown(() => serveConnection(connection, () => {}, { silenceTimeoutMs: -5 })).message).toMatch(/^silenceTimeoutMs=-5: /);
    expect(called).toBe(false);
    expect(connection.listenerCount('error')).toBe(0);
  });
});
