import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemdError } from '../../src/errors.js';
import { fdInfo } from '../../src/listen/fd-info.js';
import { loadNative } from '../../src/native/binding.js';
import { procSocket } from '../../src/native/proc-net.js';
import {
  activate,
  assertBuilt,
  firstJson,
  fixture,
  isRoot,
  knock,
  poke,
  freePort,
  tempDir,
  thrown,
} from '../../../../test/support/index.js';

/** The kernel's cap on a listen(2) backlog, and what systemd-socket-activate's listeners get. */
const somaxconn = Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
// A TCP listener's backlog is read with the native part only (TCP_INFO): /proc does not show it.
const backlogOf = (extra: readonly string[], backlog: number): { backlog?: number } => (extra.length === 0 ? { backlog } : {});
const tcpListener = (fd: number, family: 'inet4' | 'inet6', address: string, port: number) =>
  ({ fd, kind: 'socket', family, type: 'stream', listening: true, address, port }) as const;

/**
 * The fd under a Node socket object (libuv's handle), to describe sockets this process made: a net
 * socket keeps it at `_handle`; a dgram socket in its state symbol (Node 26 removed its `_handle`).
 */
function handleFd(object: object): number {
  const state = Object.getOwnPropertySymbols(object).find((key) => key.description === 'state symbol');
  const owner = object as { _handle?: { fd: number } } & Record<symbol, { handle: { fd: number } }>;
  const handle = owner._handle ?? (state === undefined ? undefined : owner[state]?.handle);
  if (handle === undefined) throw new Error('no libuv handle on this socket object');
  return handle.fd;
}

async function listenTcp(host: string): Promise<net.Server> {
  const port = await freePort();
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host, port }, () => resolve(server));
  });
}

async function bindUdp(type: 'udp4' | 'udp6', host: string): Promise<dgram.Socket> {
  const port = await freePort();
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(type);
    socket.once('error', reject);
    socket.bind({ address: host, port }, () => resolve(socket));
  });
}

const nativeLoaded = loadNative() !== undefined;

describe('fdInfo on sockets, pipes and files of this process', () => {
  const cleanup: (() => void)[] = [];
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => {
    for (const c of cleanup) c();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the native part loads here (prebuilt binary)', () => {
    expect(nativeLoaded).toBe(true);
  });

  it.each([
    ['127.0.0.1', 'inet4'],
    ['::1', 'inet6'],
  ] as const)('TCP %s: listening and connected, native and /proc agree', async (host, family) => {
    const server = await listenTcp(host);
    const port = (server.address() as net.AddressInfo).port;
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect({ host, port });
    await new Promise((r) => client.once('connect', r));
    const peer = await accepted;
    cleanup.push(() => {
      client.destroy();
      peer.destroy();
      server.close();
    });

    // 511: Node's listen() default.
    const listening = { kind: 'socket', family, type: 'stream', listening: true, address: host, port, backlog: 511 };
    expect(fdInfo(handleFd(server))).toEqual({ fd: handleFd(server), ...listening });
    const connected = { kind: 'socket', family, type: 'stream', listening: false, address: host, port: client.localPort };
    expect(fdInfo(handleFd(client))).toEqual({ fd: handleFd(client), ...connected });
    expect(fdInfo(handleFd(peer))).toMatchObject({ listening: false, port });

    for (const object of [server, client]) {
      const { fd: _fd, kind: _kind, backlog: _backlog, ...expected } = fdInfo(handleFd(object));
      expect(procSocket(fs.fstatSync(handleFd(object), { bigint: true }).ino)).toEqual(expected);
    }
  });

  it.each([
    ['udp4', '127.0.0.1', 'inet4'],
    ['udp6', '::1', 'inet6'],
  ] as const)('UDP %s: native and /proc agree', async (type, host, family) => {
    const socket = await bindUdp(type, host);
    cleanup.push(() => socket.close());
    const fd = handleFd(socket);
    const expected = { family, type: 'dgram', listening: false, address: host, port: socket.address().port };
    expect(fdInfo(fd)).toEqual({ fd, kind: 'socket', ...expected });
    expect(procSocket(fs.fstatSync(fd, { bigint: true }).ino)).toEqual(expected);
  });

  it('unix stream listener with a path', async () => {
    const socketPath = path.join(dir, 's.sock');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(socketPath, r));
    cleanup.push(() => server.close());
    const fd = handleFd(server);
    const expected = { family: 'unix', type: 'stream', listening: true, path: socketPath };
    expect(fdInfo(fd)).toEqual({ fd, kind: 'socket', ...expected });
    expect(procSocket(fs.fstatSync(fd, { bigint: true }).ino)).toEqual(expected);
  });

  it('a FIFO', () => {
    const fifo = path.join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    cleanup.push(() => fs.closeSync(fd));
    expect(fdInfo(fd)).toEqual({ fd, kind: 'fifo' });
  });

  it('a regular file and a character device', () => {
    const file = fs.openSync(path.join(dir, 'f'), 'w');
    const device = fs.openSync('/dev/null', 'r');
    cleanup.push(() => {
      for (const fd of [file, device]) fs.closeSync(fd);
    });
    expect(fdInfo(file)).toEqual({ fd: file, kind: 'file' });
    expect(fdInfo(device)).toEqual({ fd: device, kind: 'other' });
  });

  it('a closed fd → EBADF naming the fd', () => {
    const fd = fs.openSync('/dev/null', 'r');
    fs.closeSync(fd);
    const error = thrown(() => fdInfo(fd));
    expect(error).toBeInstanceOf(SystemdError);
    expect(error.code).toBe('EBADF');
    expect(error.message).toContain(`fd ${fd} is not open`);
  });

  it.each([-1, 1.5, NaN])('a bad fd argument %s → EINVAL naming "fd"', (fd) => {
    expect(() => fdInfo(fd)).toThrow(/^fd=.*expected a non-negative integer/);
  });
});

/** Socket kinds Node cannot make, from systemd-socket-activate, described by a fixture process. */
describe.each([
  ['native', []],
  ['/proc fallback (SDNODE_NO_NATIVE=1)', ['-E', 'SDNODE_NO_NATIVE=1']],
] as const)('fdInfo of activated sockets: %s', (_mode, extra) => {
  let dir: string;
  beforeAll(() => {
    assertBuilt();
    dir = tempDir();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const abstract = (): string => `@sdnode-test-${process.pid}-${path.basename(dir)}`;

  it('stream: TCP v4 and v6, unix path and abstract, all listening', async () => {
    const unixPath = path.join(dir, 'stream.sock');
    const name = `${abstract()}-stream`;
    const run = await activate(
      (port) => [...extra, '-l', `127.0.0.1:${port}`, '-l', `[::1]:${port}`, '-l', unixPath, '-l', name],
      ['node', fixture('activation', 'fdinfo.mjs')],
    );
    try {
      await knock(run.port);
      const { fds } = await firstJson(run.stdout);
      expect(fds).toEqual([
        { ...tcpListener(3, 'inet4', '127.0.0.1', run.port), ...backlogOf(extra, somaxconn) },
        { ...tcpListener(4, 'inet6', '::1', run.port), ...backlogOf(extra, somaxconn) },
        { fd: 5, kind: 'socket', family: 'unix', type: 'stream', listening: true, path: unixPath },
        { fd: 6, kind: 'socket', family: 'unix', type: 'stream', listening: true, path: name },
      ]);
    } finally {
      run.kill();
    }
  });

  it('datagram: UDP v4 and v6, unix path and abstract', async () => {
    const unixPath = path.join(dir, 'dgram.sock');
    const name = `${abstract()}-dgram`;
    const run = await activate(
      (port) => [...extra, '--datagram', '-l', `127.0.0.1:${port}`, '-l', `[::1]:${port}`, '-l', unixPath, '-l', name],
      ['node', fixture('activation', 'fdinfo.mjs')],
    );
    try {
      poke('dgram', unixPath);
      const { fds } = await firstJson(run.stdout);
      expect(fds).toEqual([
        { fd: 3, kind: 'socket', family: 'inet4', type: 'dgram', listening: false, address: '127.0.0.1', port: run.port },
        { fd: 4, kind: 'socket', family: 'inet6', type: 'dgram', listening: false, address: '::1', port: run.port },
        { fd: 5, kind: 'socket', family: 'unix', type: 'dgram', listening: false, path: unixPath },
        { fd: 6, kind: 'socket', family: 'unix', type: 'dgram', listening: false, path: name },
      ]);
    } finally {
      run.kill();
    }
  });

  it('seqpacket: unix path and abstract, listening', async () => {
    const unixPath = path.join(dir, 'seqpacket.sock');
    const name = `${abstract()}-seqpacket`;
    const run = await activate(
      (_port) => [...extra, '--seqpacket', '-l', unixPath, '-l', name],
      ['node', fixture('activation', 'fdinfo.mjs')],
    );
    try {
      poke('seqpacket', unixPath);
      const { fds } = await firstJson(run.stdout);
      expect(fds).toEqual([
        { fd: 3, kind: 'socket', family: 'unix', type: 'seqpacket', listening: true, path: unixPath },
        { fd: 4, kind: 'socket', family: 'unix', type: 'seqpacket', listening: true, path: name },
      ]);
    } finally {
      run.kill();
    }
  });

  it('accepted TCP connection (--accept): connected, local address is the listener', async () => {
    const run = await activate((port) => [...extra, '--accept', '-l', `127.0.0.1:${port}`], ['node', fixture('activation', 'fdinfo.mjs')]);
    try {
      await knock(run.port);
      const { fds } = await firstJson(run.stdout);
      expect(fds).toEqual([
        { fd: 3, kind: 'socket', family: 'inet4', type: 'stream', listening: false, address: '127.0.0.1', port: run.port },
      ]);
    } finally {
      run.kill();
    }
  });

  // Like PrivateNetwork=yes: the socket was made in the parent's network namespace.
  it.skipIf(!isRoot)('in another network namespace (unshare -n; needs root)', async () => {
    const run = await activate(
      (port) => [...extra, '-l', `127.0.0.1:${port}`],
      ['unshare', '-n', 'node', fixture('activation', 'fdinfo.mjs')],
    );
    try {
      await knock(run.port);
      const { fds } = await firstJson(run.stdout);
      expect(fds).toEqual([
        extra.length === 0 ? { ...tcpListener(3, 'inet4', '127.0.0.1', run.port), backlog: somaxconn } : { fd: 3, kind: 'socket' },
      ]);
    } finally {
      run.kill();
    }
  });
});
