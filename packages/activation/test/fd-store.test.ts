// storeConnections / restoreConnections against a real NOTIFY_SOCKET receiver and real TCP connections.
// The full round trip through a real manager (systemctl restart) is in test/systemd/fd-store.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { restoreConnections, storeConnections } from '../src/fd-store.js';
import { readControl, socketFd } from '../src/stream-handle.js';
import { missingTools } from './helpers/system-tools.js';

// Every test here talks to a real datagram receiver, a python3 program: without python3 they skip, naming it.
const noPython = missingTools('python3');

describe.skipIf(noPython)(`fd store${noPython && ` (skipped: ${noPython})`}`, () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const packageRoot = path.resolve(here, '..');
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

  interface Datagram {
    text: string;
    pid: number;
    fds: { type: string; family?: string; sotype?: string; port?: number; listening?: boolean }[];
  }

  class Receiver {
    readonly lines: Datagram[] = [];
    private waiters: (() => void)[] = [];
    private constructor(
      readonly address: string,
      private readonly child: ChildProcess,
    ) {}

    static async start(address: string, args: string[] = []): Promise<Receiver> {
      const child = spawn(python, [path.join(here, 'helpers/notify-receiver.py'), address, ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const receiver = new Receiver(address, child);
      const ready = new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`notify-receiver exited (${code}) before ready`)));
        readline.createInterface({ input: child.stdout! }).on('line', (line) => {
          const parsed = JSON.parse(line) as Datagram & { ready?: string };
          if (parsed.ready !== undefined) resolve();
          else receiver.push(parsed);
        });
      });
      await ready;
      return receiver;
    }

    private push(line: Datagram): void {
      this.lines.push(line);
      for (const wake of this.waiters.splice(0)) wake();
    }

    /** Waits (bounded) until `count` datagrams have arrived. */
    async received(count: number, timeoutMs = 10_000): Promise<Datagram[]> {
      const deadline = Date.now() + timeoutMs;
      while (this.lines.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} datagrams, got ${JSON.stringify(this.lines)}`);
        await new Promise<void>((resolve) => {
          this.waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return this.lines;
    }

    stop(): void {
      if (this.child.exitCode === null && this.child.pid) process.kill(this.child.pid, 'SIGTERM');
    }
  }

  interface Pair {
    server: net.Server;
    client: net.Socket;
    serverSide: net.Socket;
  }

  /** A real loopback TCP connection: the client end and the server's accepted end. */
  async function tcpPair(): Promise<Pair> {
    const server = net.createServer();
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect({ port, host: '127.0.0.1' });
    client.setEncoding('utf8');
    const serverSide = await accepted;
    return { server, client, serverSide };
  }

  function readUntil(socket: net.Socket, expected: string, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      let data = '';
      const timer = setTimeout(() => done(new Error(`read ${JSON.stringify(data)}, expected ${JSON.stringify(expected)}`)), timeoutMs);
      const onData = (d: string): void => {
        data += d;
        if (data.length >= expected.length) done();
      };
      function done(error?: Error): void {
        clearTimeout(timer);
        socket.off('data', onData);
        if (error) reject(error);
        else resolve(data);
      }
      socket.on('data', onData);
    });
  }

  let tmp: string;
  const cleanups: (() => void)[] = [];

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sdnode-fd-store-'));
  });
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
    delete process.env.NOTIFY_SOCKET;
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function setup(receiverArgs: string[] = []): Promise<{ receiver: Receiver; pair: Pair }> {
    const receiver = await Receiver.start(path.join(tmp, `notify-${Math.random().toString(16).slice(2)}`), receiverArgs);
    cleanups.push(() => receiver.stop());
    process.env.NOTIFY_SOCKET = receiver.address;
    const pair = await tcpPair();
    cleanups.push(() => {
      pair.client.destroy();
      pair.serverSide.destroy();
      pair.server.close();
    });
    return { receiver, pair };
  }

  describe('socketFd', () => {
    it('is the descriptor of a connected socket and of a listening server', async () => {
      const { server, client, serverSide } = await tcpPair();
      try {
        const fds = [socketFd(server), socketFd(serverSide)];
        for (const fd of fds) expect(fs.fstatSync(fd).isSocket()).toBe(true);
        expect(new Set(fds).size).toBe(2);
      } finally {
        client.destroy();
        serverSide.destroy();
        server.close();
      }
    });

    it('throws EBADF for a destroyed socket', async () => {
      const { server, client, serverSide } = await tcpPair();
      serverSide.destroy();
      client.destroy();
      server.close();
      expect(() => socketFd(serverSide)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    });
  });

  describe('storeConnections', () => {
    it('returns false and leaves the sockets alone without NOTIFY_SOCKET', async () => {
      const { pair } = await setup();
      delete process.env.NOTIFY_SOCKET;
      expect(await storeConnections([pair.serverSide])).toBe(false);
      expect(pair.serverSide.destroyed).toBe(false);
      pair.serverSide.write('still ours\n');
      expect(await readUntil(pair.client, 'still ours\n')).toBe('still ours\n');
    });

    it('sends the connection with FDSTORE=1 and FDNAME, waits on a barrier, then closes its copy', async () => {
      const { receiver, pair } = await setup();
      const { port } = pair.server.address() as net.AddressInfo;
      // Written just before the handover: must reach the client, not be lost with the old process.
      pair.serverSide.write('before handover\n');
      expect(await storeConnections([pair.serverSide], { name: 'clients' })).toBe(true);
      expect(pair.serverSide.destroyed).toBe(true);
      const [store, barrier] = await receiver.received(2);
      expect(store!.text).toBe('FDSTORE=1\nFDNAME=clients\n');
      expect(store!.pid).toBe(process.pid);
      expect(store!.fds).toEqual([
        expect.objectContaining({ type: 'socket', family: 'AF_INET', sotype: 'SOCK_STREAM', port, listening: false }),
      ]);
      expect(barrier!.text).toBe('BARRIER=1\n');
      expect(await readUntil(pair.client, 'before handover\n')).toBe('before handover\n');
    });

    it('keeps serving the sockets (and says why) when the manager does not release the barrier', async () => {
      const { receiver, pair } = await setup(['--barrier', 'hold']);
      pair.serverSide.setEncoding('utf8');
      pair.serverSide.on('data', (d: string) => pair.serverSide.write(`echo ${d}`));
      await expect(storeConnections([pair.serverSide], { timeoutMs: 300 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect(pair.serverSide.destroyed).toBe(false);
      expect((await receiver.received(2))[0]!.text).toBe('FDSTORE=1\nFDNAME=handover\n');
      // Reading was stopped for the handover and is running again.
      pair.client.write('still here\n');
      expect(await readUntil(pair.client, 'echo still here\n')).toBe('echo still here\n');
    });

    it('splits more than 253 connections over several messages (the SCM_RIGHTS limit)', async () => {
      const { receiver } = await setup();
      const server = net.createServer();
      const accepted: net.Socket[] = [];
      server.on('connection', (s) => accepted.push(s));
      await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
      const { port } = server.address() as net.AddressInfo;
      const clients = await Promise.all(
        Array.from(
          { length: 254 },
          () =>
            new Promise<net.Socket>((resolve) => {
              const c = net.connect({ port, host: '127.0.0.1' }, () => resolve(c));
            }),
        ),
      );
      cleanups.push(() => {
        for (const c of clients) c.destroy();
        for (const s of accepted) s.destroy();
        server.close();
      });
      while (accepted.length < 254) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await storeConnections(accepted, { timeoutMs: 10_000 })).toBe(true);
      const lines = await receiver.received(3);
      expect(lines.map((l) => [l.text, l.fds.length])).toEqual([
        ['FDSTORE=1\nFDNAME=handover\n', 253],
        ['FDSTORE=1\nFDNAME=handover\n', 1],
        ['BARRIER=1\n', 1],
      ]);
    });

    it('refuses a socket with bytes Node read but nobody consumed (they would be lost)', async () => {
      const { receiver, pair } = await setup();
      const readable = new Promise((resolve) => pair.serverSide.once('readable', resolve));
      pair.client.write('unconsumed');
      await readable;
      await expect(storeConnections([pair.serverSide])).rejects.toMatchObject({ code: 'EBUSY', subject: 'sockets[0]' });
      expect(pair.serverSide.destroyed).toBe(false);
      expect(receiver.lines).toEqual([]);
    });

    it('rejects bad arguments with the argument named', async () => {
      process.env.NOTIFY_SOCKET = '/nonexistent';
      await expect(storeConnections([], { timeoutMs: -1 })).rejects.toThrow(/timeoutMs=-1/);
      await expect(storeConnections('x' as unknown as net.Socket[])).rejects.toThrow(/sockets/);
    });
  });

  /**
   * The library's sources as plain ES modules in a directory of their own, so that a child process
   * (which cannot adopt what this process already owns) can run them. Prebuilt binaries are linked in.
   */
  function transpileLibrary(): string {
    const dir = path.join(tmp, 'lib');
    fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
    for (const file of fs.readdirSync(path.join(packageRoot, 'src')).filter((f) => f.endsWith('.ts'))) {
      const source = fs.readFileSync(path.join(packageRoot, 'src', file), 'utf8');
      const out = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
      fs.writeFileSync(path.join(dir, 'src', file.replace(/\.ts$/, '.js')), out.outputText);
    }
    if (fs.existsSync(path.join(packageRoot, 'prebuilds')))
      fs.symlinkSync(path.join(packageRoot, 'prebuilds'), path.join(dir, 'prebuilds'));
    return path.join(dir, 'src', 'fd-store.js');
  }

  describe('restoreConnections', () => {
    it('adopts a stored connection in a new process, which then serves it, and removes it from the store', async () => {
      const { receiver, pair } = await setup();
      const library = transpileLibrary();
      // The child gets the connection as fd 3 with LISTEN_* naming it, the way the manager passes stored fds.
      const child = spawn(
        'sh',
        [
          '-c',
          'exec env LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=handover "$0" "$@"',
          process.execPath,
          '--input-type=module',
          '-e',
          `
      import { restoreConnections } from ${JSON.stringify(library)};
      const sockets = restoreConnections({ name: 'handover' });
      process.stdout.write(sockets.length + '\\n');
      for (const s of sockets) s.setEncoding('utf8').on('data', (d) => s.end('pid ' + process.pid + ' got ' + d));
    `,
        ],
        { stdio: ['ignore', 'pipe', 'inherit', pair.serverSide], env: { ...process.env } },
      );
      cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
      const count = await new Promise<string>((resolve) => child.stdout!.setEncoding('utf8').once('data', resolve));
      expect(count).toBe('1\n');
      pair.serverSide.destroy(); // the child holds the connection now
      pair.client.write('ping\n');
      const expected = `pid ${child.pid} got ping\n`;
      expect(await readUntil(pair.client, expected)).toBe(expected);
      const [remove] = await receiver.received(1);
      expect(remove!.text).toBe('FDSTOREREMOVE=1\nFDNAME=handover\n');
      expect(remove!.pid).toBe(child.pid);
    });

    it('refuses a listening socket under the name and leaves it open', async () => {
      const { pair } = await setup();
      const fd = socketFd(pair.server);
      // One kind check for every adopting function: EINVAL naming the fd (was ENOTCONN naming LISTEN_FDNAMES).
      expect(() => restoreConnections({ fd })).toThrow(
        expect.objectContaining({ code: 'EINVAL', subject: 'fd', message: expect.stringContaining('expected a connected stream socket') }),
      );
      expect(fs.fstatSync(fd).isSocket()).toBe(true);
    });

    it('returns nothing when no fd has the name', () => {
      expect(restoreConnections({ name: 'handover' })).toEqual([]);
    });
  });

  describe('the socket handle internals storing relies on (stream-handle.ts)', () => {
    it("this Node's sockets have them: fd, and a read switch that stops and restarts libuv", async () => {
      const { pair } = await setup();
      expect(socketFd(pair.serverSide)).toBeGreaterThan(2);
      const reads = readControl(pair.serverSide)!;
      expect(reads.reading).toBe(true);
      reads.stop();
      expect(reads.reading).toBe(false);
      reads.start();
      expect(reads.reading).toBe(true);
      const echoed = readUntil(pair.client, 'back');
      pair.serverSide.once('data', () => pair.serverSide.write('back'));
      pair.client.write('x');
      expect(await echoed).toBe('back');
    });

    it('a Node whose handles differ gets ENOTSUP naming what is missing, not a silent misbehaviour', () => {
      const differing = { _handle: { fd: 7, reading: true } } as unknown as net.Socket;
      expect(() => readControl(differing)).toThrow(
        expect.objectContaining({ code: 'ENOTSUP', message: expect.stringContaining('readStop()/readStart()') }),
      );
      expect(() => socketFd({ _handle: {} } as unknown as net.Socket)).toThrow(expect.objectContaining({ code: 'ENOTSUP' }));
    });
  });
});
