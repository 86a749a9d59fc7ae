// serveUntilStopped with real servers and real clients. Whatever ends the process runs in a child
// `node` process (a small server written next to a plain-JS copy of the library); what does not
// runs here.
import { rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SystemdError } from '../../src/errors.js';
import { serveUntilStopped } from '../../src/serve/serve-until-stopped.js';
import {
  connect,
  connectError,
  type Exit,
  readToEnd,
  request,
  Running,
  sleep,
  startReceiver,
  transpiledLibrary,
  Trickler,
  waitFor,
} from '../../../../test/support/index.js';

// The child: one server on a port the kernel picks, which answers `got <what the client
// sent>` once the client has sent something (containing `replyAfter`, when given), so that a test
// decides how long a connection stays in flight. It registers no 'error' listener on its connections: the library must cope. Every event
// is a JSON line on stdout.
const CHILD = `
import net from 'node:net';
import { serveUntilStopped } from './src/serve/serve-until-stopped.js';

const { stopWhenServed, exitCode, replyAfter = '', servedStatus, ...options } = JSON.parse(process.argv[2]);
const report = (event) => process.stdout.write(JSON.stringify(event) + '\\n');

const server = net.createServer((socket) => {
  report({ event: 'connection' });
  let received = '';
  socket.on('data', (data) => {
    received += data;
    if (!socket.writableEnded && received.includes(replyAfter)) socket.end('got ' + received);
  });
  socket.on('close', (hadError) => report({ event: 'close', hadError }));
});
server.on('listening', () => report({ event: 'listening', port: server.address().port }));
server.listen(0, '127.0.0.1');

const serving = serveUntilStopped([server], {
  ...options,
  onServed: (served) => {
    report({ event: 'served', served });
    if (served === stopWhenServed) serving.stop('served ' + served);
  },
  onStopping: (status, reason) => report({ event: 'stopping', status, reason, open: serving.open }),
  ...(servedStatus ? { servedStatus: (served) => served + ' served' } : {}),
  ...(exitCode === undefined ? {} : { onStopped: (cut) => { report({ event: 'stopped', cut }); process.exit(exitCode); } }),
});
`;

interface Event {
  event: string;
  [key: string]: unknown;
}

/** The child server (the shared Running) and the JSON events it printed on stdout. */
class Child {
  readonly events: Event[] = [];
  readonly running: Running;
  #parsed = 0;

  constructor(argv: string[], env: NodeJS.ProcessEnv) {
    this.running = new Running(process.execPath, argv, { env: { PATH: process.env.PATH, ...env } });
    this.running.child.stdout!.on('data', () => this.#parse());
  }

  get process(): Running['child'] {
    return this.running.child;
  }

  get exited(): Promise<Exit> {
    return this.running.exited;
  }

  get stderr(): string {
    return this.running.stderr;
  }

  get alive(): boolean {
    return this.running.alive;
  }

  /** The first event named `name` (matching `fields`), waiting for it at most timeoutMs. */
  async waitFor(name: string, fields: Record<string, unknown> = {}, timeoutMs = 20_000): Promise<Event> {
    const find = (): Event | undefined => {
      this.#parse();
      return this.events.find((e) => e.event === name && Object.entries(fields).every(([k, v]) => e[k] === v));
    };
    await this.running.waitForOutput(() => find() !== undefined, timeoutMs);
    const found = find();
    if (found) return found;
    throw new Error(`no ${name} event ${JSON.stringify(fields)}; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`);
  }

  names(): string[] {
    this.#parse();
    return this.events.map((e) => e.event);
  }

  /** Moves the complete lines of stdout not parsed yet into `events`. */
  #parse(): void {
    const end = this.running.stdout.lastIndexOf('\n') + 1;
    if (end <= this.#parsed) return;
    for (const line of this.running.stdout.slice(this.#parsed, end).split('\n'))
      if (line !== '') this.events.push(JSON.parse(line) as Event);
    this.#parsed = end;
  }
}

let dir: string;
const children: Child[] = [];
const clients: net.Socket[] = [];
const tricklers: Trickler[] = [];

beforeAll(() => {
  dir = transpiledLibrary(['serve/serve-until-stopped']);
  writeFileSync(path.join(dir, 'server.mjs'), CHILD);
});
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
  for (const trickler of tricklers.splice(0)) trickler.destroy();
  for (const child of children.splice(0)) child.running.signal('SIGKILL');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Starts the child server with these options; resolves with it and its port once it listens. */
async function startChild(options: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): Promise<{ child: Child; port: number }> {
  const child = new Child([path.join(dir, 'server.mjs'), JSON.stringify(options)], env);
  children.push(child);
  const listening = await child.waitFor('listening');
  return { child, port: listening.port as number };
}

/** A client connection, destroyed after the test. */
async function client(port: number): Promise<net.Socket> {
  const socket = await connect(port);
  clients.push(socket);
  return socket;
}

describe('serveUntilStopped: graceful stop', () => {
  it('on SIGTERM sends STOPPING=1, stops accepting, finishes the connection in flight, then exits 0', async () => {
    const receiver = await startReceiver();
    try {
      const { child, port } = await startChild({}, { NOTIFY_SOCKET: receiver.address });
      const inFlight = await client(port);
      await child.waitFor('connection');

      child.process.kill('SIGTERM');
      const status = 'SIGTERM: no longer accepting, finishing 1 open connection';
      expect(await child.waitFor('stopping')).toEqual({ event: 'stopping', status, reason: 'SIGTERM', open: 1 });
      const datagram = await receiver.next();
      expect(datagram.data.toString()).toBe(`STOPPING=1\nSTATUS=${status}\n`);
      expect(datagram.pid).toBe(child.process.pid);

      expect(await connectError(port)).toBe('ECONNREFUSED');
      expect(child.alive).toBe(true); // held by the connection in flight
      const reply = readToEnd(inFlight);
      inFlight.write('last words');
      expect(await reply).toBe('got last words');
      expect(await child.exited).toEqual({ code: 0, signal: null });
      expect(child.names().slice(0, 4)).toEqual(['listening', 'connection', 'stopping', 'served']);
    } finally {
      await receiver.stop();
    }
  });

  it('stops on the signals it is given, with the signal as the reason', async () => {
    const { child } = await startChild({ signals: ['SIGUSR2'] });
    child.process.kill('SIGUSR2');
    expect(await child.waitFor('stopping')).toMatchObject({ status: 'SIGUSR2: no longer accepting, finishing 0 open connections' });
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it('a second signal during the stop ends the process at once', async () => {
    const { child, port } = await startChild();
    await client(port);
    await child.waitFor('connection');
    child.process.kill('SIGINT');
    await child.waitFor('stopping', { reason: 'SIGINT', open: 1 });
    child.process.kill('SIGINT');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGINT' });
  });

  it('stop(reason) from the program, and onStopped instead of the exit', async () => {
    const { child, port } = await startChild({ stopWhenServed: 2, exitCode: 7 });
    expect(await request(port, { send: 'one' })).toBe('got one');
    expect(await request(port, { send: 'two' })).toBe('got two');
    expect(await child.waitFor('stopping')).toMatchObject({ reason: 'served 2' });
    expect(await child.exited).toEqual({ code: 7, signal: null });
    expect(child.names().filter((n) => n !== 'close')).toEqual([
      'listening',
      'connection',
      'served',
      'connection',
      'served',
      'stopping',
      'stopped',
    ]);
  });
});

describe('serveUntilStopped: servedStatus', () => {
  it('tells the manager the count at once, then at most once a second with the latest, and what waits before STOPPING=1', async () => {
    const receiver = await startReceiver();
    try {
      const { child, port } = await startChild({ servedStatus: true }, { NOTIFY_SOCKET: receiver.address });
      expect(await request(port, { send: 'first' })).toBe('got first');
      expect((await receiver.next()).text).toBe('STATUS=1 served\n');
      // Five at once, within the second that follows the first: the manager hears of the last only.
      await Promise.all(['a', 'b', 'c', 'd', 'e'].map((send) => request(port, { send })));
      const counts: number[] = [];
      while (counts.at(-1) !== 6) counts.push(Number(/^STATUS=(\d+) served\n$/.exec((await receiver.next()).text)?.[1]));
      expect(counts.length).toBeLessThan(5);
      // Served in the second after that one, so waiting when the stop begins: told before STOPPING=1.
      expect(await request(port, { send: 'last' })).toBe('got last');
      await child.waitFor('served', { served: 7 });
      child.process.kill('SIGTERM');
      expect((await receiver.next()).text).toBe('STATUS=7 served\n');
      expect((await receiver.next()).text).toBe('STOPPING=1\nSTATUS=SIGTERM: no longer accepting, finishing 0 open connections\n');
      expect(await child.exited).toEqual({ code: 0, signal: null });
    } finally {
      await receiver.stop();
    }
  });

  it('a connection that finishes during the stop leaves the STATUS sent with STOPPING=1', async () => {
    const receiver = await startReceiver();
    try {
      const { child, port } = await startChild({ servedStatus: true }, { NOTIFY_SOCKET: receiver.address });
      const inFlight = await client(port);
      await child.waitFor('connection');
      child.process.kill('SIGTERM');
      expect((await receiver.next()).text).toBe('STOPPING=1\nSTATUS=SIGTERM: no longer accepting, finishing 1 open connection\n');
      const reply = readToEnd(inFlight);
      inFlight.write('late');
      expect(await reply).toBe('got late');
      expect(await child.exited).toEqual({ code: 0, signal: null });
      await sleep(300); // what the child sent before it exited has reached the receiver by now
      expect(receiver.arrived().map((datagram) => datagram.text)).toEqual([]);
    } finally {
      await receiver.stop();
    }
  });

  it('must be a function', () => {
    const server = net.createServer();
    expect(() => serveUntilStopped([server], { servedStatus: 'served' as never })).toThrow(
      'servedStatus="served": expected a function from the served count to the STATUS= text',
    );
  });
});

describe('serveUntilStopped: idle exit', () => {
  it('exits 0 after the idle timeout when no connection comes', async () => {
    const { child } = await startChild({ idleTimeoutMs: 200 });
    expect(await child.waitFor('stopping')).toMatchObject({
      reason: 'idle',
      status: 'idle: no longer accepting, finishing 0 open connections',
    });
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it('not while a connection is open: the timeout starts again once the last one has closed', async () => {
    const { child, port } = await startChild({ idleTimeoutMs: 1500 });
    const held = await client(port);
    await child.waitFor('connection');
    await sleep(3500); // more than twice the idle timeout with the connection open
    expect(child.names()).not.toContain('stopping');
    expect(child.alive).toBe(true);

    const reply = readToEnd(held);
    held.write('done');
    expect(await reply).toBe('got done');
    expect(await child.waitFor('stopping')).toMatchObject({ reason: 'idle', open: 0 });
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.names()).toEqual(['listening', 'connection', 'served', 'close', 'stopping']);
  });
});

describe('serveUntilStopped: misbehaving clients', () => {
  it('a client that resets its connection does not crash the process', async () => {
    const { child, port } = await startChild();
    for (let i = 0; i < 3; i++) {
      const socket = await client(port);
      await child.waitFor('connection');
      socket.resetAndDestroy();
      await child.waitFor('close', { hadError: true });
      child.events.length = 0; // wait for the next connection's events
    }
    expect(await request(port, { send: 'after' })).toBe('got after');
    expect(child.alive).toBe(true);
  });

  it('drops a connection silent for silenceTimeoutMs and serves on', async () => {
    const { child, port } = await startChild({ silenceTimeoutMs: 300 });
    const silent = await client(port);
    expect(await readToEnd(silent)).toBe(''); // closed by the server, nothing sent
    await child.waitFor('close');
    expect(await request(port, { send: 'next' })).toBe('got next');
    expect(child.alive).toBe(true);
  });

  it('a silent client cannot hold a stop forever', async () => {
    const { child, port } = await startChild({ silenceTimeoutMs: 500 });
    const silent = await client(port);
    await child.waitFor('connection');
    child.process.kill('SIGTERM');
    await child.waitFor('stopping', { open: 1 });
    expect(await readToEnd(silent)).toBe('');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});

async function trickle(port: number): Promise<Trickler> {
  const trickler = await Trickler.open(port, { everyMs: 1000 });
  tricklers.push(trickler);
  return trickler;
}

/**
 * The stop-deadline set-up: a child that replies only after a newline, `count` tricklers (which never
 * send one) connected to it, then SIGTERM: the stop waits for requests that never complete.
 */
async function stopWhileTrickling(
  count: number,
  stopDeadlineMs: number,
  env: NodeJS.ProcessEnv = {},
  options: Record<string, unknown> = {},
): Promise<{ child: Child; tricklers: Trickler[] }> {
  const { child, port } = await startChild({ replyAfter: '\n', stopDeadlineMs, ...options }, env);
  const tricklers: Trickler[] = [];
  for (let i = 0; i < count; i++) tricklers.push(await trickle(port));
  await child.waitFor('connection');
  await waitFor(`${count} connections`, () => child.names().filter((n) => n === 'connection').length === count, 10_000, 10);
  child.process.kill('SIGTERM');
  return { child, tricklers };
}

describe('serveUntilStopped: clients that keep sending (one byte a second, never reading)', () => {
  it("after the reply, waits for the client's end at most lingerMs: the stop then ends with nothing cut", async () => {
    const { child, port } = await startChild({ lingerMs: 1500 });
    const trickler = await trickle(port);
    await child.waitFor('served');
    child.process.kill('SIGTERM');
    await child.waitFor('stopping', { open: 1 });
    // The silence timeout (30 s) never fires: every byte resets it.
    expect(await child.running.waitForExit(15_000)).toEqual({ code: 0, signal: null });
    expect(child.names().slice(0, 4)).toEqual(['listening', 'connection', 'served', 'stopping']);
    expect(await trickler.gone).toMatch(/^(EPIPE|ECONNRESET|close)$/);
    expect(child.stderr).toBe('');
  });

  it('a request that never completes is cut at the stop deadline: exit status 1, the count in a warning and STATUS', async () => {
    const receiver = await startReceiver();
    try {
      const { child, tricklers } = await stopWhileTrickling(2, 1500, { NOTIFY_SOCKET: receiver.address });
      expect((await receiver.next()).text).toBe('STOPPING=1\nSTATUS=SIGTERM: no longer accepting, finishing 2 open connections\n');
      const cut = 'SIGTERM: stop deadline of 1500 ms passed, cut 2 open connections';
      expect((await child.running.waitForExit(15_000)).code).toBe(1);
      expect((await receiver.next()).text).toBe(`STATUS=${cut}\n`);
      expect(child.stderr).toContain(`[SDNODE_STOP_DEADLINE] Warning: ${cut}`);
      expect(child.names().filter((n) => n === 'served')).toEqual([]);
      for (const trickler of tricklers) expect(await trickler.gone).toMatch(/^(EPIPE|ECONNRESET|close)$/);
    } finally {
      await receiver.stop();
    }
  });

  it('onStopped gets the number cut and decides the exit', async () => {
    const { child } = await stopWhileTrickling(1, 500, {}, { exitCode: 9 });
    expect(await child.running.waitForExit(15_000)).toEqual({ code: 9, signal: null });
    expect(await child.waitFor('stopped')).toEqual({ event: 'stopped', cut: 1 });
  });
});

describe('serveUntilStopped in this process', () => {
  it('counts open and served connections; onStopped replaces the exit', async () => {
    const server = net.createServer((socket) => socket.once('data', (d) => socket.end(`got ${d}`)));
    let onStopped = (): void => {};
    const stopped = new Promise<void>((resolve) => (onStopped = resolve));
    const serving = serveUntilStopped([server], { signals: [], onStopped });
    try {
      await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
      const port = (server.address() as net.AddressInfo).port;
      expect(await request(port, { send: 'a' })).toBe('got a');
      await waitFor('no open connection', () => serving.open === 0, 10_000, 10);
      expect(serving.served).toBe(1);
      const held = await client(port);
      await waitFor('one open connection', () => serving.open === 1, 10_000, 10);

      serving.stop('test');
      expect(serving.stopping).toBe(true);
      expect(server.listening).toBe(false);
      const reply = readToEnd(held);
      held.write('b');
      expect(await reply).toBe('got b');
      await stopped;
      expect(serving.served).toBe(2);
    } finally {
      server.close();
    }
  });

  it('rejects bad options with an error naming the option, before touching anything', () => {
    const server = net.createServer();
    const listeners = process.listenerCount('SIGTERM');
    const cases: [() => unknown, RegExp][] = [
      [() => serveUntilStopped([]), /^servers="\[\]": expected at least one server$/],
      [
        () => serveUntilStopped([server], { idleTimeoutMs: 0 }),
        /^idleTimeoutMs=0: expected a number of milliseconds from 1 to 2147483647$/,
      ],
      [() => serveUntilStopped([server], { idleTimeoutMs: Number.NaN }), /^idleTimeoutMs=NaN: /],
      [() => serveUntilStopped([server], { idleTimeoutMs: 2 ** 31 }), /^idleTimeoutMs=2147483648: /],
      [() => serveUntilStopped([server], { silenceTimeoutMs: -1 }), /^silenceTimeoutMs=-1: expected a number of milliseconds from 0 to/],
      [() => serveUntilStopped([server], { stopDeadlineMs: 0 }), /^stopDeadlineMs=0: expected a number of milliseconds from 1 to/],
      [
        () => serveUntilStopped([server], { lingerMs: Number.POSITIVE_INFINITY }),
        /^lingerMs=Infinity: expected a number of milliseconds from 1 to/,
      ],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(SystemdError);
      expect(call).toThrow(message);
    }
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
    expect(server.listenerCount('connection')).toBe(0);
  });
});
