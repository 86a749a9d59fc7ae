import { execFileSync, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadNative, nativeLoadError, type NativeBinding } from '../../src/native/binding.js';
import { ACTIVATION_ROOT, skippedFor, startReceiver } from '../../../../test/support/index.js';

const packageRoot = ACTIVATION_ROOT;
const AF_INET = 2;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;

// Node keeps the fd of a server or socket on its libuv handle.
function fdOf(handleOwner: object): number {
  const fd = (handleOwner as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('no fd on this handle');
  return fd;
}

function udpFd(socket: dgram.Socket): number {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const fd = (socket as unknown as Record<symbol, { handle: { fd: number } }>)[state!]!.handle.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('no fd on the UDP socket');
  return fd;
}

function binding(): NativeBinding {
  const native = loadNative();
  if (native === undefined) throw new Error(`native part did not load: ${nativeLoadError()}`);
  return native;
}

function listening(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => resolve());
  });
}

const scratch = mkdtempSync(path.join(tmpdir(), 'sdnode-native-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('loader', () => {
  it('loads the prebuilt binary for this machine and caches it', () => {
    expect(nativeLoadError()).toBeUndefined();
    expect(loadNative()).toBe(loadNative());
    expect(Object.keys(binding()).sort()).toEqual([
      'bindDatagram',
      'dup',
      'journalSend',
      'listenSocket',
      'pipe',
      'receive',
      'send',
      'socketInfo',
      'waitReadable',
    ]);
  });

  it('SDNODE_NO_NATIVE=1 disables it and says why', async () => {
    process.env.SDNODE_NO_NATIVE = '1';
    try {
      vi.resetModules();
      const fresh = await import('../../src/native/binding.js');
      expect(fresh.loadNative()).toBeUndefined();
      expect(fresh.nativeLoadError()).toMatch(/SDNODE_NO_NATIVE=1/);
    } finally {
      delete process.env.SDNODE_NO_NATIVE;
      vi.resetModules();
    }
  });

  it('loads in a worker thread too (context-aware addon)', async () => {
    binding(); // loaded in the main thread first
    const file = path.join(packageRoot, 'prebuilds', `linux-${process.arch}`, 'sdnode.node');
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const native = require(workerData);
       const [r, w] = native.pipe();
       const info = (() => { try { native.socketInfo(r); } catch (e) { return e.errno; } })();
       require('node:fs').closeSync(r); require('node:fs').closeSync(w);
       parentPort.postMessage({ keys: Object.keys(native).sort(), info });`,
      { eval: true, workerData: file },
    );
    const result = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(result).toEqual({
      keys: ['bindDatagram', 'dup', 'journalSend', 'listenSocket', 'pipe', 'receive', 'send', 'socketInfo', 'waitReadable'],
      info: -88,
    }); // -ENOTSOCK
  });
});

// One binary for every Node with Node-API 8: SDNODE_TEST_NODES lists other node
// executables (colon-separated, e.g. Node 22 and 24) to load it with.
const otherNodes = (process.env.SDNODE_TEST_NODES ?? '').split(':').filter(Boolean);
describe.skipIf(otherNodes.length === 0)(
  `other Node versions${otherNodes.length === 0 ? ' (skipped: set SDNODE_TEST_NODES=/path/node22:/path/node24; ./scripts/test.sh does)' : ''}`,
  () => {
    it.each(otherNodes.length > 0 ? otherNodes : ['node'])('%s loads the same binary, in a worker too', (node) => {
      const file = path.join(packageRoot, 'prebuilds', `linux-${process.arch}`, 'sdnode.node');
      const script = `
      const native = require(${JSON.stringify(file)});
      const { Worker } = require('node:worker_threads');
      const server = require('node:net').createServer().listen(0, '127.0.0.1', () => {
        const info = native.socketInfo(server._handle.fd);
        const worker = new Worker('require("node:worker_threads").parentPort.postMessage(require(' + JSON.stringify(${JSON.stringify(file)}) + ').pipe().length)', { eval: true });
        worker.on('message', (n) => {
          console.log(JSON.stringify({ listening: info.listening, samePort: info.port === server.address().port, workerPipe: n }));
          worker.terminate();
          server.close();
        });
      });`;
      const run = spawnSync(node, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual({ listening: true, samePort: true, workerPipe: 2 });
    });
  },
);

describe('socketInfo', () => {
  it('TCP listener on 127.0.0.1', async () => {
    const server = net.createServer();
    await listening(server, { port: 0, host: '127.0.0.1' });
    try {
      const port = (server.address() as net.AddressInfo).port;
      expect(binding().socketInfo(fdOf(server))).toEqual({
        domain: AF_INET,
        type: SOCK_STREAM,
        listening: true,
        address: '127.0.0.1',
        port,
        // A TCP listener's listen(2) backlog (TCP_INFO): Node's default.
        backlog: 511,
      });
    } finally {
      server.close();
    }
  });

  it('connected TCP socket', async () => {
    const server = net.createServer((connection) => connection.end());
    await listening(server, { port: 0, host: '127.0.0.1' });
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    try {
      await new Promise((resolve) => client.once('connect', resolve));
      expect(binding().socketInfo(fdOf(client))).toEqual({
        domain: AF_INET,
        type: SOCK_STREAM,
        listening: false,
        address: '127.0.0.1',
        port: client.localPort,
      });
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('UDP socket', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      expect(binding().socketInfo(udpFd(socket))).toEqual({
        domain: AF_INET,
        type: SOCK_DGRAM,
        listening: false,
        address: '127.0.0.1',
        port: socket.address().port,
      });
    } finally {
      socket.close();
    }
  });

  it('unix stream listener on a path and on an abstract name', async () => {
    const socketPath = path.join(scratch, 'stream.sock');
    const server = net.createServer();
    await listening(server, { path: socketPath });
    const abstractName = `sdnode-native-${process.pid}`;
    const abstractServer = net.createServer();
    await listening(abstractServer, { path: `\0${abstractName}` });
    try {
      expect(binding().socketInfo(fdOf(server))).toEqual({
        domain: AF_UNIX,
        type: SOCK_STREAM,
        listening: true,
        path: socketPath,
      });
      // Node's libuv binds abstract names with the whole sun_path (NUL-padded):
      // the name is reported exactly as bound, padding included.
      const abstract = binding().socketInfo(fdOf(abstractServer));
      expect(abstract).toMatchObject({ domain: AF_UNIX, type: SOCK_STREAM, listening: true });
      expect(abstract.path).toMatch(new RegExp(`^@${abstractName}\\0*$`));
      expect([abstractName.length + 1, 108]).toContain(abstract.path!.length);
    } finally {
      server.close();
      abstractServer.close();
    }
  });

  it('EBADF for a closed fd, ENOTSOCK for a file, with errno and syscall', () => {
    const file = path.join(scratch, 'plain');
    const fd = openSync(file, 'w');
    try {
      expect(() => binding().socketInfo(fd)).toThrow(expect.objectContaining({ code: 'ENOTSOCK', errno: -88, syscall: 'getsockopt' }));
    } finally {
      closeSync(fd);
    }
    expect(() => binding().socketInfo(fd)).toThrow(
      expect.objectContaining({ code: 'EBADF', errno: -9, message: expect.stringMatching(/getsockopt/) }),
    );
  });

  it('rejects a non-integer fd with a TypeError', () => {
    expect(() => binding().socketInfo('3' as unknown as number)).toThrow(TypeError);
    expect(() => binding().socketInfo(-1)).toThrow(TypeError);
    expect(() => binding().socketInfo(0.5)).toThrow(TypeError);
    expect(() => binding().send('/x', Buffer.from('X=1\n'), [1.5])).toThrow(TypeError);
  });
});

describe('pipe', () => {
  it('makes a close-on-exec pipe that carries bytes', () => {
    const [readFd, writeFd] = binding().pipe();
    try {
      for (const fd of [readFd, writeFd]) {
        const flags = /flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!;
        expect(parseInt(flags, 8) & 0o2000000).toBe(0o2000000); // O_CLOEXEC
      }
      writeSync(writeFd, 'ping');
      const buffer = Buffer.alloc(8);
      const n = readSync(readFd, buffer);
      expect(buffer.subarray(0, n).toString()).toBe('ping');
    } finally {
      closeSync(readFd);
      closeSync(writeFd);
    }
  });
});

describe('send', () => {
  it('returns the negated errno instead of throwing', () => {
    expect(binding().send(path.join(scratch, 'absent.sock'), Buffer.from('X=1\n'), [])).toBe(-2); // ENOENT
    expect(binding().send(`/${'a'.repeat(200)}`, Buffer.from('X=1\n'), [])).toBe(-36); // ENAMETOOLONG, before any syscall
  });

  it('never blocks: a receiver that does not read gives EAGAIN once its queue is full', async () => {
    const stalled = await startReceiver({ args: ['--stalled'] });
    try {
      const results: number[] = [];
      // net.unix.max_dgram_qlen (10 here) bounds the queue; a blocking send would hang this test.
      for (let i = 0; i < 1000 && !results.includes(-11); i++) results.push(binding().send(stalled.address, Buffer.from(`N=${i}\n`), []));
      expect(results.at(-1)).toBe(-11); // EAGAIN
      expect(results.slice(0, -1).every((r) => r === 0)).toBe(true);
      stalled.resume();
      expect((await stalled.next()).text).toBe('N=0\n');
    } finally {
      await stalled.stop();
    }
  });
});

describe('dup', () => {
  it('copies an fd close-on-exec, above the standard fds; EBADF with errno for a closed one', () => {
    const [readFd, writeFd] = binding().pipe();
    const copy = binding().dup(writeFd);
    try {
      expect(copy).toBeGreaterThan(2);
      expect(copy).not.toBe(writeFd);
      const flags = /flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${copy}`, 'utf8'))![1]!;
      expect(parseInt(flags, 8) & 0o2000000).toBe(0o2000000); // O_CLOEXEC
      writeSync(copy, 'via copy');
      const buffer = Buffer.alloc(16);
      expect(buffer.subarray(0, readSync(readFd, buffer)).toString()).toBe('via copy');
    } finally {
      closeSync(readFd);
      closeSync(writeFd);
      closeSync(copy);
    }
    expect(() => binding().dup(copy)).toThrow(expect.objectContaining({ code: 'EBADF', errno: -9, syscall: 'fcntl' }));
  });
});

// The binaries for other targets cannot be loaded by this node: check what
// they link, and run the addon's socket code (native/sd_send.c) built static
// for arm64 under qemu, since there is no arm64 node here to load the addon.
describe('other targets: arm64 and musl', () => {
  const prebuilt = path.join(packageRoot, 'prebuilds', 'linux-arm64', 'sdnode.node');
  // The build makes a prebuilt wherever its compiler is installed.
  const noArm64 = skippedFor('readelf', 'aarch64-linux-gnu-gcc');
  const noMusl = skippedFor('readelf', 'musl-gcc');

  it.skipIf(noArm64)(`the arm64 prebuilt is an aarch64 shared object that needs only libc${noArm64}`, () => {
    const header = execFileSync('readelf', ['-h', prebuilt], { encoding: 'utf8' });
    const dynamic = execFileSync('readelf', ['-d', prebuilt], { encoding: 'utf8' });
    expect(header).toMatch(/Type:\s+DYN/);
    expect(header).toMatch(/Machine:\s+AArch64/);
    expect([...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1])).toEqual(['libc.so.6']);
    const symbols = execFileSync('readelf', ['--dyn-syms', '-W', prebuilt], { encoding: 'utf8' });
    expect(symbols).toMatch(/GLOBAL\s+DEFAULT\s+\d+\s+napi_register_module_v1/);
    expect(symbols).toMatch(/UND napi_create_error/);
  });

  it.skipIf(noMusl)(`the musl prebuilt links musl, not glibc${noMusl}`, () => {
    const musl = path.join(packageRoot, 'prebuilds', 'linux-x64-musl', 'sdnode.node');
    const dynamic = execFileSync('readelf', ['-d', musl], { encoding: 'utf8' });
    expect([...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1])).toEqual(['libc.so']);
  });

  const muslLoader = `/lib/ld-musl-${process.arch === 'x64' ? 'x86_64' : 'aarch64'}.so.1`;
  // musl-tools depends on musl, which provides the loader.
  const noLoader = skippedFor('musl-gcc');
  it.skipIf(noLoader)(`musl's loader resolves every libc symbol of the musl prebuilt${noLoader}`, () => {
    const musl = path.join(packageRoot, 'prebuilds', `linux-${process.arch}-musl`, 'sdnode.node');
    // --list loads the object like ldd; only the Node-API symbols, which node provides, stay unresolved.
    const run = spawnSync(muslLoader, ['--list', musl], { encoding: 'utf8' });
    const unresolved = [...run.stderr.matchAll(/Error relocating [^:]+: (\S+): symbol not found/g)].map((m) => m[1]!);
    expect(run.stdout).toMatch(/libc\.so => /);
    expect(unresolved.length).toBeGreaterThan(0);
    expect(unresolved.filter((symbol) => !symbol.startsWith('napi_'))).toEqual([]);
    expect(run.stderr.replace(/Error relocating [^\n]*napi_\w+: symbol not found\n/g, '')).toBe('');
  });

  const noQemu = skippedFor('qemu-aarch64', 'aarch64-linux-gnu-gcc', '/usr/aarch64-linux-gnu/include/stdio.h', 'readelf');
  it.skipIf(noQemu)(
    `sd_send.c built for arm64 delivers a datagram with an fd under qemu-aarch64${noQemu}`,
    async () => {
      const harness = path.join(scratch, 'sd-send-arm64');
      execFileSync('aarch64-linux-gnu-gcc', [
        '-static',
        '-O2',
        '-o',
        harness,
        `-I${path.join(packageRoot, 'native')}`,
        path.join(packageRoot, 'test', 'fixtures', 'sd_send_main.c'),
        path.join(packageRoot, 'native', 'sd_send.c'),
      ]);
      expect(execFileSync('readelf', ['-h', harness], { encoding: 'utf8' })).toMatch(/Machine:\s+AArch64/);
      expect(execFileSync('readelf', ['-l', harness], { encoding: 'utf8' })).not.toMatch(/INTERP/); // static
      for (const abstract of [false, true]) {
        const receiver = await startReceiver({ abstract });
        try {
          const run = spawnSync('qemu-aarch64', [harness, receiver.address, 'READY=1\nSTATUS=from arm64\n', '--with-pipe'], {
            encoding: 'utf8',
            timeout: 60_000,
          });
          expect(run.stderr).toBe('');
          expect(run.status).toBe(0);
          const datagram = await receiver.next();
          expect(datagram.data.toString('latin1')).toBe('READY=1\nSTATUS=from arm64\n');
          expect(datagram.pid).toBe(run.pid);
          expect(datagram.fds).toEqual([{ type: 'fifo' }]);
        } finally {
          await receiver.stop();
        }
      }
      const missing = spawnSync('qemu-aarch64', [harness, path.join(scratch, 'absent.sock'), 'X=1\n'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/No such file or directory/);
    },
    120_000,
  );
});
