// storeConnections / restoreConnections against a real NOTIFY_SOCKET receiver and real TCP connections.
// The full round trip through a real manager (systemctl restart) is in test/systemd/fd-store.test.ts.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { restoreConnections, storeConnections } from '../../src/serve/fd-store.js';
import { readControl, socketFd } from '../../src/serve/stream-handle.js';
import {
  type Datagram,
  missingTools,
  type Receiver,
  Running,
  startReceiver,
  transpiledLibrary,
  waitFor,
} from '../../../../test/support/index.js';

// Every test here talks to a real datagram receiver, a python3 program: without python3 they skip, naming it.
const noPython = missingTools('python3');

describe.skipIf(noPython)(`fd store${noPython && ` (skipped: ${noPython})`}`, () => {
  /** A real datagram receiver, read `count` datagrams at a time. */
  interface Collecting {
    receiver: Receiver;
    /** Every datagram taken so far, after waiting (bounded) until there are `count`. */
    received(count: number, timeoutMs?: number): Promise<Datagram[]>;
  }

  async function collecting(args: string[]): Promise<Collecting> {
    const receiver = await startReceiver({ args });
    const taken: Datagram[] = [];
    return {
      receiver,
      async received(count, timeoutMs = 10_000) {
        const deadline = Date.now() + timeoutMs;
        while (taken.length < count) {
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`expected ${count} datagrams, got ${JSON.stringify(taken.map((d) => d.text))}`);
          taken.push(await receiver.next(left));
        }
        return taken;
      },
    };
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

  const cleanups: (() => void)[] = [];

  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
    delete process.env.NOTIFY_SOCKET;
  });

  async function setup(receiverArgs: string[] = []): Promise<{ receiver: Collecting; pair: Pair }> {
    const receiver = await collecting(receiverArgs);
    cleanups.push(() => void receiver.receiver.stop());
    process.env.NOTIFY_SOCKET = receiver.receiver.address;
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
      await waitFor('254 accepted connections', () => accepted.length >= 254, 20_000, 10);
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
      expect(receiver.receiver.arrived()).toEqual([]);
    });

    it('refuses a timeout longer than a Node timer takes, with the sockets untouched (it would fire after 1 ms)', async () => {
      const { receiver, pair } = await setup(['--barrier', 'hold']);
      await expect(storeConnections([pair.serverSide], { timeoutMs: 2 ** 31 })).rejects.toMatchObject({
        code: 'EINVAL',
        subject: 'timeoutMs',
        message: 'timeoutMs=2147483648: expected a number of milliseconds from 1 to 2147483647',
      });
      expect(pair.serverSide.destroyed).toBe(false);
      expect(receiver.receiver.arrived()).toEqual([]);
    });

    it('rejects bad arguments with the argument named', async () => {
      process.env.NOTIFY_SOCKET = '/nonexistent';
      await expect(storeConnections([], { timeoutMs: -1 })).rejects.toThrow(/timeoutMs=-1/);
      await expect(storeConnections('x' as unknown as net.Socket[])).rejects.toThrow(/sockets/);
    });
  });

  describe('restoreConnections', () => {
    it('adopts a stored connection in a new process, which then serves it, and removes it from the store', async () => {
      const { receiver, pair } = await setup();
      const dir = transpiledLibrary(['serve/fd-store']);
      cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const library = path.join(dir, 'src', 'serve', 'fd-store.js');
      // The child gets the connection as fd 3 with LISTEN_* naming it, the way the manager passes stored fds.
      const child = new Running(
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
      cleanups.push(() => child.signal('SIGKILL'));
      const count = await waitFor('the count of restored sockets', () => child.stdout.includes('\n') && child.stdout);
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
