import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { listen, listenAll } from '../../src/listen/listeners.js';
import {
  activate,
  type Activated,
  assertBuilt,
  exchange,
  fixture,
  httpGet,
  isRoot,
  jsonLines,
  knock,
  poke,
  freePort,
  start,
  tempDir,
  waitFor,
} from '../../../../test/support/index.js';

const adoptFixture = fixture('activation', 'adopt.mjs');
const runs: Activated[] = [];
let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = tempDir();
});
afterAll(() => {
  for (const r of runs) r.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function run(args: (port: number) => string[], mode: string, ...fixtureArgs: string[]): Promise<Activated> {
  const started = await activate(args, ['node', adoptFixture, mode, ...fixtureArgs]);
  runs.push(started);
  return started;
}

async function reported(r: Activated): Promise<any> {
  await waitFor(`a report from the fixture (stderr: ${r.stderr()})`, () => jsonLines(r.stderr()).length > 0, 20_000);
  return jsonLines(r.stderr())[0];
}

function udpExchange(type: 'udp4' | 'udp6', host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(type);
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no UDP reply'));
    }, 20_000);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message.toString());
    });
    socket.on('error', reject);
    // The first datagram wakes systemd-socket-activate; it stays queued for the program.
    socket.send(text, port, host);
  });
}

describe('listen() under systemd-socket-activate', () => {
  it('http.Server serves a real request on the activated fd', async () => {
    const r = await run((port) => ['-l', `127.0.0.1:${port}`], 'http');
    const response = await httpGet(r.port, '/activated');
    expect(response).toEqual({ status: 200, body: 'hello /activated' });
    expect(await reported(r)).toEqual({ activated: true, fd: 3, name: 'unknown' });
    expect(await r.exited).toBe(0);
  });

  // PrivateNetwork=yes without the native part: fdInfo cannot read the kind, listen() trusts the fd.
  it.skipIf(!isRoot)('no native part, other network namespace (unshare -n; needs root): still serves', async () => {
    const started = await activate(
      (port) => ['-E', 'SDNODE_NO_NATIVE=1', '-l', `127.0.0.1:${port}`],
      ['unshare', '-n', 'node', adoptFixture, 'http'],
    );
    runs.push(started);
    expect(await httpGet(started.port, '/private')).toEqual({ status: 200, body: 'hello /private' });
    expect(await reported(started)).toEqual({ activated: true, fd: 3, name: 'unknown' });
    expect(await started.exited).toBe(0);
  });

  it('net.Server on a unix path listener; --fdname sets the name', async () => {
    const socketPath = path.join(dir, 'listen.sock');
    const r = await run(() => ['-l', socketPath, '--fdname=api'], 'net');
    expect((await exchange({ path: socketPath })).toString()).toBe('net');
    // Node does not know the path of an adopted unix socket: address() is null.
    expect(await reported(r)).toEqual({ activated: true, fd: 3, name: 'api', address: null });
    expect(await r.exited).toBe(0);
  });

  it('two fds (-l A -l B --fdname=a:b): selected by name', async () => {
    const r = await run((port) => ['-l', `127.0.0.1:${port}`, '-l', `127.0.0.1:${port + 1}`, '--fdname=a:b'], 'net', 'name=b');
    await knock(r.port); // wakes it; fd "a" is never served
    const out = await reported(r);
    expect(out).toMatchObject({ activated: true, fd: 4, name: 'b', address: { address: '127.0.0.1', port: r.port + 1 } });
    expect((await exchange({ port: r.port + 1 })).toString()).toBe('net');
    expect(await r.exited).toBe(0);
  });

  it('two fds and no name → error listing the names', async () => {
    const r = await run((port) => ['-l', `127.0.0.1:${port}`, '-l', `127.0.0.1:${port + 1}`, '--fdname=a:b'], 'net');
    await knock(r.port);
    const out = await reported(r);
    expect(out.code).toBe('EINVAL');
    expect(out.error).toContain('fd 3 "a", fd 4 "b"');
    expect(out.error).toContain('name option');
  });

  it('listenAll(): one server per activated listening socket', async () => {
    const r = await run((port) => ['-l', `127.0.0.1:${port}`, '-l', `127.0.0.1:${port + 1}`], 'all');
    await knock(r.port);
    expect(await reported(r)).toEqual({
      servers: 2,
      activated: true,
      fds: [
        { fd: 3, name: 'unknown' },
        { fd: 4, name: 'unknown' },
      ],
    });
    expect((await exchange({ port: r.port + 1 })).toString()).toBe(`port ${r.port + 1}`);
    // The knock above was accepted by the first server, which then closed.
    expect(await r.exited).toBe(0);
  });

  it('wrong kind (a datagram socket given to listen) → error, and the fd is still usable', async () => {
    const r = await run((port) => ['--datagram', '-l', `127.0.0.1:${port}`], 'wrong-kind');
    expect(await udpExchange('udp4', '127.0.0.1', r.port, 'ping')).toBe('still open ping');
    const out = await reported(r);
    expect(out.refused.code).toBe('EINVAL');
    expect(out.refused.error).toMatch(/fd 3 .* is an inet4 dgram socket: expected a listening stream socket.*left open/);
    expect(await r.exited).toBe(0);
  });

  it('activated, but no listening socket among the fds → error; the fallback is not used', async () => {
    const r = await run((port) => ['-a', '-l', `127.0.0.1:${port}`], 'net', `fallback=${await freePort()}`);
    const reply = exchange({ port: r.port }).catch(() => Buffer.alloc(0));
    const out = await reported(r);
    expect(out.code).toBe('ENOENT');
    expect(out.error).toContain('the fallback is only used when the process is not socket-activated');
    await reply;
  });

  it('adopting the same fd twice → clear error instead of EEXIST from Node', async () => {
    const r = await run((port) => ['-l', `127.0.0.1:${port}`], 'double');
    expect((await exchange({ port: r.port })).toString()).toBe('first');
    const out = await reported(r);
    expect(out.second.code).toBe('EEXIST');
    expect(out.second.error).toContain('fd 3 was already adopted by this process');
  });
});

/** Resolves true when something accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('a wrapper between the manager and node (LISTEN_PID names the wrapper)', () => {
  let appDir: string;
  beforeAll(() => {
    // An npm package whose start script runs the daemon, the way `ExecStart=npm start` would.
    appDir = path.join(dir, 'npm-app');
    fs.mkdirSync(appDir, { recursive: true });
    fs.writeFileSync(
      path.join(appDir, 'package.json'),
      JSON.stringify({
        name: 'wrapped',
        private: true,
        scripts: { start: `node ${JSON.stringify(adoptFixture)} http fallback=$FALLBACK` },
      }),
    );
  });

  const wrappers: [string, (fallback: number) => string[]][] = [
    // `; exit` keeps the shell from exec'ing node in its place (dash does that for a last command).
    ['sh -c', (fallback) => ['sh', '-c', `node ${JSON.stringify(adoptFixture)} http fallback=${fallback}; exit $?`]],
    ['npm start', (fallback) => ['env', `FALLBACK=${fallback}`, 'npm', '--prefix', appDir, '--silent', 'start']],
    [
      'a Node parent that spawns the app',
      (fallback) => [
        'node',
        '-e',
        `require('node:child_process').spawn(process.execPath, [${JSON.stringify(adoptFixture)}, 'http', 'fallback=${fallback}'], { stdio: 'inherit' }).on('exit', (c) => process.exit(c ?? 1))`,
      ],
    ],
  ];

  it.each(wrappers)('%s: listen() names LISTEN_PID, both pids and the fix; the fallback is not used', async (_, program) => {
    // A port no other test is handed: were the fallback used, only this test's wrapper could listen there.
    const fallback = await freePort();
    const r = await activate((port) => ['-l', `127.0.0.1:${port}`], program(fallback));
    runs.push(r);
    await knock(r.port);
    const out = await reported(r);
    expect(out.code).toBe('EINVAL');
    expect(out.subject).toBe('LISTEN_PID');
    // systemd-socket-activate exec'd the wrapper in its own place: the wrapper has its pid.
    expect(out.error).toContain(`LISTEN_PID=${r.child.pid} names another process, not this one (pid ${out.pid})`);
    expect(out.error).toContain('LISTEN_FDS="1"');
    expect(out.error).toContain('Start node itself: ExecStart=');
    expect(out.error).not.toContain('LISTEN_FDS is not set');
    expect(out.pid).not.toBe(r.child.pid);
    expect(await accepts(fallback)).toBe(false);
  });
});

describe('every adopting function under a wrapper, and the selection rules', () => {
  it('sh -c: listenAll, adoptDatagram, acceptedConnection and restoreConnections all name LISTEN_PID; listenFds() is []', async () => {
    const r = await activate(
      (port) => ['-l', `127.0.0.1:${port}`],
      ['sh', '-c', `node ${JSON.stringify(adoptFixture)} every-adopter fallback=${await freePort()}; exit $?`],
    );
    runs.push(r);
    await knock(r.port);
    const out = await reported(r);
    const refused = { code: 'EINVAL', subject: 'LISTEN_PID' };
    expect(out).toEqual({
      pid: out.pid,
      listenFds: [],
      meantForOther: { listenPid: r.child.pid, pid: out.pid, listenFds: '1' },
      listenAll: refused,
      adoptDatagram: refused,
      acceptedConnection: refused,
      restoreConnections: refused,
    });
  });

  it('fd: must be a passed fd, with the name when both are given; the one chosen is adopted', async () => {
    const r = await run((port) => ['-l', `127.0.0.1:${port}`, '-l', `127.0.0.1:${port + 1}`, '--fdname=a:b'], 'select');
    await knock(r.port);
    const out = await reported(r);
    expect(out.notPassed).toMatchObject({ code: 'EINVAL', subject: 'fd' });
    expect(out.notPassed.error).toContain('fd=9: expected one of the fds passed by the service manager: fd 3 "a", fd 4 "b"');
    expect(out.nameMismatch).toMatchObject({ code: 'EINVAL', subject: 'fd' });
    expect(out.nameMismatch.error).toContain('fd 3 is named "a"');
    expect(out.byFd).toEqual({ activated: true, fd: 4, name: 'b' });
    expect(out.badFd).toMatchObject({ code: 'EINVAL', subject: 'fd' });
    expect((await exchange({ port: r.port + 1 })).toString()).toBe('by fd');
  });
});

describe('node:cluster workers under systemd-socket-activate (no library call in the primary)', () => {
  it.each([[[]], [['read']]])(
    'workers serve on the activated socket through the primary, the activating request included (%j)',
    async (args) => {
      const fallback = await freePort();
      const r = await activate(
        (port) => ['-l', `127.0.0.1:${port}`],
        ['node', fixture('activation', 'cluster.mjs'), String(fallback), ...args],
      );
      runs.push(r);
      try {
        const first = await httpGet(r.port, '/'); // wakes systemd-socket-activate: this request waits in the queue
        const workerLines = (): any[] => (jsonLines(r.stderr()) as any[]).filter((line) => line.worker !== undefined);
        await waitFor(`two workers listening (stderr: ${r.stderr()})`, () => workerLines().length >= 2, 20_000);
        const pids = new Set([first.body]);
        for (let i = 0; i < 6; i++) pids.add((await httpGet(r.port, '/')).body);
        const reports = jsonLines(r.stderr()) as any[];
        const workers = workerLines();
        expect(workers).toHaveLength(2);
        for (const worker of workers) expect(worker).toMatchObject({ activated: true, fd: 3, name: 'unknown' });
        if (args.length > 0) expect(reports[0]).toEqual({ primaryRead: [{ fd: 3, name: 'unknown' }] });
        expect(first.status).toBe(200);
        // Round-robin, Node's default on Linux: both workers answer.
        expect([...pids].sort()).toEqual(workers.map((w) => String(w.worker)).sort());
        expect(await accepts(fallback)).toBe(false);
      } finally {
        r.child.kill('SIGTERM');
        await r.exited;
      }
    },
  );

  it('a unix stream socket: every worker listens through the primary (no EEXIST) and requests are served', async () => {
    const socketPath = path.join(dir, 'cluster.sock');
    const r = await activate(() => ['-l', socketPath], ['node', fixture('activation', 'cluster.mjs'), String(await freePort())]);
    runs.push(r);
    try {
      const workerLines = (): any[] => (jsonLines(r.stderr()) as any[]).filter((line) => line.worker !== undefined);
      const first = (await httpGet({ socketPath })).body;
      await waitFor(`two workers reporting (stderr: ${r.stderr()})`, () => workerLines().length >= 2, 20_000);
      for (const worker of workerLines()) expect(worker).toMatchObject({ activated: true, fd: 3 });
      const bodies = [first, ...(await Promise.all([1, 2, 3].map(async () => (await httpGet({ socketPath })).body)))];
      const workers = workerLines().map((w) => String(w.worker));
      for (const body of bodies) expect(workers).toContain(body);
    } finally {
      r.child.kill('SIGTERM');
      await r.exited;
    }
  });
});

describe('listen() without activation', () => {
  it('listenAll keeps the server type and says it used the fallback; Listening narrows on activated', async () => {
    const result = await listenAll(() => http.createServer(), { fallback: { host: '127.0.0.1', port: 0 } });
    try {
      expectTypeOf(result.servers).toEqualTypeOf<http.Server[]>();
      expect(result.activated).toBe(false);
      expect(result.fds).toEqual([]);
      expect(result.servers).toHaveLength(1);
      expect(result.servers[0]).toBeInstanceOf(http.Server);
      expect(result.servers[0]!.listening).toBe(true);
    } finally {
      for (const server of result.servers) server.close();
    }
    const server = http.createServer();
    const listening = await listen(server, { fallback: { host: '127.0.0.1', port: 0 } });
    server.close();
    expect(listening).toEqual({ activated: false });
    if (listening.activated) {
      expectTypeOf(listening.fd).toEqualTypeOf<number>();
      expectTypeOf(listening.name).toEqualTypeOf<string>();
    }
  });

  it('uses the fallback when not activated', async () => {
    const port = await freePort();
    const r = start(['node', adoptFixture, 'http', `fallback=${port}`]);
    runs.push(r);
    expect(await reportedOrExit(r)).toEqual({ activated: false });
    expect(await httpGet(port, '/fallback')).toEqual({ status: 200, body: 'hello /fallback' });
    expect(await r.exited).toBe(0);
  });

  it('neither activated nor a fallback → clear error', async () => {
    const r = start(['node', adoptFixture, 'net']);
    runs.push(r);
    const out = await reported(r);
    expect(out.code).toBe('ENOENT');
    expect(out.error).toContain('not socket-activated (LISTEN_FDS is not set for this process) and no fallback given');
  });
});

async function reportedOrExit(r: Activated): Promise<any> {
  await Promise.race([waitFor('a JSON line from the fixture', () => jsonLines(r.stderr()).length > 0), r.exited]);
  return jsonLines(r.stderr())[0];
}

describe('acceptedConnection()', () => {
  it('-a: the connection on fd 3 echoes the client bytes', async () => {
    const r = await run((port) => ['-a', '-l', `127.0.0.1:${port}`], 'accepted');
    expect((await exchange({ port: r.port }, 'echo me')).toString()).toBe('echo me');
  });

  it('acceptedConnection() without activation → message says how to run it', async () => {
    const r = start([
      'node',
      '--input-type=module',
      '-e',
      `
      import { acceptedConnection } from ${JSON.stringify(path.resolve(adoptFixture, '../../../dist/index.js'))};
      try { acceptedConnection(); } catch (e) { console.error(JSON.stringify({ code: e.code, error: e.message })); }`,
    ]);
    runs.push(r);
    const out = await reported(r);
    expect(out).toEqual({
      code: 'ENOENT',
      error:
        'no accepted connection: LISTEN_FDS is not set for this process; run with systemd-socket-activate --accept or a socket unit with Accept=yes',
    });
  });
});

/**
 * Runs `script` (an ES module importing the built library as LIB) with two connected stream sockets
 * passed as fds 3 and 4, named a and b; resolves what it reported and what each client received.
 */
async function withTwoConnections(script: string): Promise<{ report: any; received: [string, string] }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted: net.Socket[] = [];
  server.on('connection', (socket) => accepted.push(socket));
  const { port } = server.address() as net.AddressInfo;
  const clients: net.Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    clients.push(client);
  }
  await waitFor('both connections accepted', () => accepted.length === 2, 5000);
  // fd 3 (a) is the first client's connection, fd 4 (b) the second's.
  const ordered = clients.map((client) => accepted.find((socket) => socket.remotePort === client.localPort)!);
  const received = clients.map(
    (client) =>
      new Promise<string>((resolve) => {
        let text = '';
        client.setEncoding('utf8').on('data', (d: string) => (text += d));
        client.on('close', () => resolve(text));
        client.on('error', () => resolve(text));
      }),
  );
  const lib = JSON.stringify(path.resolve(adoptFixture, '../../../dist/index.js'));
  const child = spawn(
    'sh',
    ['-c', 'LISTEN_PID=$$ LISTEN_FDS=2 LISTEN_FDNAMES=a:b exec node --input-type=module -e "$0"', `const LIB = ${lib};\n${script}`],
    { stdio: ['ignore', 'ignore', 'pipe', ordered[0]!, ordered[1]!] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor('a report from the child', () => jsonLines(stderr).length > 0, 20_000);
  // The child holds its own copies now: ours go, so that a connection the child ends closes for its client.
  for (const socket of accepted) socket.destroy();
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  child.kill('SIGKILL');
  for (const client of clients) client.destroy();
  server.close();
  return { report: jsonLines(stderr)[0], received: (await Promise.all(received)) as [string, string] };
}

describe('acceptedConnection() selects as the other adopting functions do', () => {
  it('{ name } picks that connection among several', async () => {
    const { report, received } = await withTwoConnections(`
      const { acceptedConnection } = await import(LIB);
      try {
        const socket = acceptedConnection({ name: 'b' });
        console.error(JSON.stringify({ fd: socket._handle.fd }));
        socket.end('to b');
      } catch (e) { console.error(JSON.stringify({ code: e.code, error: e.message })); }`);
    expect(report).toEqual({ fd: 4 });
    expect(received).toEqual(['', 'to b']);
  });

  it('several and no selection → EINVAL naming both fds and the options', async () => {
    const { report } = await withTwoConnections(`
      const { acceptedConnection } = await import(LIB);
      try { acceptedConnection(); } catch (e) { console.error(JSON.stringify({ code: e.code, error: e.message })); }`);
    expect(report).toEqual({
      code: 'EINVAL',
      error:
        '2 connected stream sockets were passed (fd 3 "a", fd 4 "b"): choose one with the name option (LISTEN_FDNAMES, FileDescriptorName=) or fd',
    });
  });

  it('{ fd } that was not passed → EINVAL listing the passed fds, as listen() does', async () => {
    const { report } = await withTwoConnections(`
      const { acceptedConnection } = await import(LIB);
      try { acceptedConnection({ fd: 0 }); } catch (e) { console.error(JSON.stringify({ code: e.code, subject: e.subject, error: e.message })); }`);
    expect(report).toMatchObject({ code: 'EINVAL', subject: 'fd' });
    expect(report.error).toContain('fd 3 "a", fd 4 "b"');
  });

  it('{ name } that no passed fd has → ENOENT naming it', async () => {
    const { report } = await withTwoConnections(`
      const { acceptedConnection } = await import(LIB);
      try { acceptedConnection({ name: 'c' }); } catch (e) { console.error(JSON.stringify({ code: e.code, error: e.message })); }`);
    expect(report).toEqual({
      code: 'ENOENT',
      error: 'no accepted connection named "c" among the passed fds (fd 3 "a", fd 4 "b"): Accept=yes passes one connected stream socket',
    });
  });
});

describe('adoptDatagram() under systemd-socket-activate --datagram', () => {
  it.each([
    ['udp4', '127.0.0.1'],
    ['udp6', '::1'],
  ] as const)('%s: receives a datagram and replies', async (type, host) => {
    const r = await run((port) => ['--datagram', '-l', type === 'udp6' ? `[${host}]:${port}` : `${host}:${port}`], 'udp');
    expect(await udpExchange(type, host, r.port, 'ping')).toBe('pong ping');
    expect((await reported(r)).udp).toMatchObject({ address: host, port: r.port, family: type === 'udp6' ? 'IPv6' : 'IPv4' });
    expect(await r.exited).toBe(0);
  });

  it('an AF_UNIX datagram socket → error saying Node cannot adopt it', async () => {
    const socketPath = path.join(dir, 'dgram.sock');
    const r = await run(() => ['--datagram', '-l', socketPath], 'unix-dgram');
    poke('dgram', socketPath);
    const out = await reported(r);
    expect(out.code).toBe('EPROTOTYPE');
    expect(out.error).toContain('Node cannot adopt AF_UNIX datagram sockets');
  });
});
