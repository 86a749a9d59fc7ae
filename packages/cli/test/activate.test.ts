import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { becomes, daemonMain, fixture, loopback, REPO_ROOT, request, stopAll } from '../../../test/support/index.js';
import { startSdnode } from './helpers.js';

afterEach(stopAll);

/** sdnode's command line after its options: the service, run by this node. */
const service = (program: string, ...args: string[]): string[] => ['--', process.execPath, program, ...args];

describe('sdnode activate, default mode (one service holding the listening socket)', () => {
  it('starts the service at the first connection with LISTEN_PID = its own pid, LISTEN_FDS, LISTEN_FDNAMES and NOTIFY_SOCKET', async () => {
    const sdnode = await startSdnode((port) => [...loopback(port), '--fdname', 'web', ...service(fixture('cli', 'show-env.mjs'))]);
    const seen = JSON.parse(await request(sdnode.port)) as Record<string, string | number>;
    const start = await sdnode.waitForEvent((e) => e.event === 'start');
    expect(seen).toMatchObject({ pid: start.pid, LISTEN_PID: String(start.pid), LISTEN_FDS: '1', LISTEN_FDNAMES: 'web' });
    expect(seen.NOTIFY_SOCKET).toMatch(/^@sdnode\//);
  });

  it('socket-service: answers the first connection, READY and STATUS are shown, and after its idle exit the next connection starts it again', async () => {
    const sdnode = await startSdnode((port) => [...loopback(port), ...service(daemonMain('socket-service'), '--idle-timeout=1')]);
    expect(await request(sdnode.port)).toBe('This is a test\n');
    const ready = await sdnode.waitForEvent((e) => e.event === 'notify' && e.fields?.READY === '1');
    expect(ready.fields?.STATUS).toBe('Serving on activated socket');
    const status = await sdnode.waitForEvent((e) => e.event === 'notify' && /1 connection served/.test(e.fields?.STATUS ?? ''));
    expect(status.pid).toBe(ready.pid);
    const exit = await sdnode.waitForEvent((e) => e.event === 'exit');
    expect(exit).toMatchObject({ pid: ready.pid, status: 0 });
    // Nothing is listening in a service now; sdnode still holds the socket.
    expect(await request(sdnode.port)).toBe('This is a test\n');
    const second = await sdnode.waitForEvent((e) => e.event === 'start', 2);
    expect(second.pid).not.toBe(ready.pid);
  });

  it('SIGTERM stops the service gracefully and sdnode exits with its status', async () => {
    const sdnode = await startSdnode((port) => [...loopback(port), ...service(daemonMain('socket-service'))]);
    expect(await request(sdnode.port)).toBe('This is a test\n');
    await sdnode.waitForEvent((e) => e.event === 'notify' && e.fields?.READY === '1');
    sdnode.signal('SIGTERM');
    expect(await sdnode.waitForExit()).toEqual({ code: 0, signal: null });
    expect(sdnode.events().find((e) => e.event === 'exit')).toMatchObject({ status: 0, signal: null });
    expect(sdnode.events().some((e) => e.event === 'notify' && e.fields?.STOPPING === '1')).toBe(true);
  });

  it('what a service sends as it exits is shown, before its exit, though sdnode ends with it', async () => {
    // Each round races the service's last datagram against its exit. Lost once in CI under load, in
    // none of 48 rounds here: manager-sockets.test.ts checks flush() itself, which closes the race.
    for (let round = 0; round < 8; round++) {
      const sdnode = await startSdnode((port) => [...loopback(port), ...service(fixture('cli', 'last-words.mjs'))]);
      const pid = Number(await request(sdnode.port));
      await sdnode.waitForEvent((e) => e.event === 'start');
      sdnode.signal('SIGTERM');
      expect(await sdnode.waitForExit()).toEqual({ code: 0, signal: null });
      const events = sdnode.events();
      const said = events.findIndex((e) => e.event === 'notify' && e.fields?.STATUS === `last words of ${pid}`);
      const exit = events.findIndex((e) => e.event === 'exit');
      expect(said, `round ${round}: the STOPPING of ${pid}`).toBeGreaterThanOrEqual(0);
      expect(said, `round ${round}: before its exit`).toBeLessThan(exit);
    }
  });
});

describe('sdnode activate --datagram', () => {
  it('the first datagram starts the service, which reads it from the socket (nothing was read in sdnode)', async () => {
    const sdnode = await startSdnode((port) => [...loopback(port), '--datagram', ...service(fixture('cli', 'udp-echo.mjs'))]);
    const client = dgram.createSocket('udp4');
    try {
      const reply = new Promise<string>((resolve) => client.once('message', (message) => resolve(String(message))));
      client.send('ping', sdnode.port, '127.0.0.1');
      const start = await sdnode.waitForEvent((e) => e.event === 'start');
      expect(start.reason).toBe(`datagram on 127.0.0.1:${sdnode.port}`);
      expect(await reply).toBe(`${start.pid}: ping`);
    } finally {
      client.close();
    }
  });
});

describe('sdnode activate --accept', () => {
  it('socket-service-accepted: one service per connection, on fd 3', async () => {
    const sdnode = await startSdnode((port) => [...loopback(port), '--accept', ...service(daemonMain('socket-service-accepted'))]);
    expect(await request(sdnode.port, { send: 'x' })).toBe('This socket was already accepted\n');
    expect(await request(sdnode.port, { send: 'y' })).toBe('This socket was already accepted\n');
    const starts = sdnode.events().filter((e) => e.event === 'start');
    expect(starts).toHaveLength(2);
    expect(starts[0]?.pid).not.toBe(starts[1]?.pid);
    expect(starts[0]?.message).toContain('LISTEN_FDS=1 LISTEN_FDNAMES=connection');
  });

  it('socket-service-inet with --inetd (and --inet, its abbreviation): the connection on fds 0 and 1', async () => {
    for (const option of ['--inetd', '--inet']) {
      const sdnode = await startSdnode((port) => [...loopback(port), '-a', option, ...service(daemonMain('socket-service-inet'))]);
      expect(await request(sdnode.port, { send: 'x' })).toBe('This socket was passed on stdin/stdout\n');
      await sdnode.stop();
    }
  });
});

describe('sdnode activate as the manager', () => {
  it('--watchdog: a service that sends no WATCHDOG=1 is killed and started again, with WATCHDOG_USEC and WATCHDOG_PID set', async () => {
    const sdnode = await startSdnode((port) => [...loopback(port), '--watchdog', '1', ...service(fixture('cli', 'no-watchdog-pings.mjs'))]);
    const first = Number(await request(sdnode.port));
    const ready = await sdnode.waitForEvent((e) => e.event === 'notify' && e.fields?.READY === '1');
    expect(ready.fields?.STATUS).toBe(`WATCHDOG_USEC=1000000 WATCHDOG_PID=${first} pid=${first}`);
    const missed = await sdnode.waitForEvent((e) => e.event === 'watchdog');
    expect(missed.pid).toBe(first);
    expect(await sdnode.waitForEvent((e) => e.event === 'exit')).toMatchObject({ pid: first, signal: 'SIGABRT' });
    const restarted = await sdnode.waitForEvent((e) => e.event === 'start', 2);
    expect(restarted.reason).toBe('restart');
    expect(Number(await request(sdnode.port))).toBe(restarted.pid);
  });

  it('BARRIER=1 is released (its fd closed), and SIGHUP to sdnode reaches the service as a reload', async () => {
    const sdnode = await startSdnode((port) => [...loopback(port), ...service(fixture('cli', 'barrier-reload.mjs'))]);
    const pid = Number(await request(sdnode.port));
    const barrier = await sdnode.waitForEvent((e) => e.event === 'notify' && e.fields?.BARRIER === '1');
    expect(barrier).toMatchObject({ pid, fds: 1 });
    const ready = await sdnode.waitForEvent((e) => e.event === 'notify' && e.fields?.READY === '1');
    expect(ready.fields?.STATUS).toBe('barrier released');
    sdnode.signal('SIGHUP');
    expect(await sdnode.waitForEvent((e) => e.event === 'reload')).toMatchObject({ pid });
    await sdnode.waitForEvent((e) => e.event === 'notify' && e.fields?.RELOADING === '1');
    expect((await sdnode.waitForEvent((e) => e.event === 'notify' && e.fields?.READY === '1', 2)).fields?.STATUS).toBe('reloaded');
  });

  it('fd store: connections stored with FDSTORE=1 come back to the next instance, named, after a --watch restart (fd-store example)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdnode-cli-'));
    const trigger = path.join(dir, 'trigger');
    fs.writeFileSync(trigger, '1');
    try {
      const server = path.join(REPO_ROOT, 'examples/fd-store-handover/server.mjs');
      const sdnode = await startSdnode((port) => [...loopback(port), '--fdname', 'listener', '--watch', trigger, ...service(server)]);
      const client = net.connect(sdnode.port, '127.0.0.1');
      client.setEncoding('utf8');
      const replies: string[] = [];
      client.on('data', (chunk: string) => replies.push(chunk));
      const reply = async (): Promise<string> => {
        await becomes(() => replies.length > 0, 10_000);
        return replies.shift() ?? '(no reply in 10 s)';
      };
      client.write('one');
      const before = await reply();
      const firstPid = (await sdnode.waitForEvent((e) => e.event === 'start')).pid;
      expect(before).toBe(`${firstPid}: one`);
      await sdnode.waitForEvent((e) => e.event === 'notify' && e.fields?.READY === '1');
      fs.writeFileSync(trigger, '2');
      const stored = await sdnode.waitForEvent((e) => e.event === 'fdstore');
      expect(stored).toMatchObject({ pid: firstPid, kept: 1, stored: 1 });
      const second = await sdnode.waitForEvent((e) => e.event === 'start', 2);
      expect(second.message).toContain('LISTEN_FDS=2 LISTEN_FDNAMES=listener:handover');
      const ready = await sdnode.waitForEvent((e) => e.event === 'notify' && e.fields?.READY === '1', 2);
      expect(ready.fields?.STATUS).toBe('Serving; 1 connection taken over from the previous instance');
      client.write('two');
      expect(await reply()).toBe(`${second.pid}: two`);
      client.destroy();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fd store: a stored connection whose peer closes is dropped (POLLHUP), as under systemd; one stored with FDPOLL=0 is kept', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdnode-cli-'));
    const peersPath = path.join(dir, 'peers.sock');
    const peers: net.Socket[] = [];
    const peerServer = net.createServer({ allowHalfOpen: true }, (socket) => peers.push(socket));
    await new Promise<void>((resolve) => peerServer.listen(peersPath, resolve));
    try {
      const sdnode = await startSdnode((port) => [
        ...loopback(port),
        '-E',
        `PEERS=${peersPath}`,
        '--',
        process.execPath,
        fixture('cli', 'store-peer-connections.mjs'),
      ]);
      expect(await request(sdnode.port)).toBe('unknown\n');
      const polled = await sdnode.waitForEvent((e) => e.event === 'fdstore' && e.kept === 1);
      const unpolled = await sdnode.waitForEvent((e) => e.event === 'fdstore' && e.kept === 1, 2);
      expect(polled).toMatchObject({ poll: true, stored: 1 });
      expect(unpolled).toMatchObject({ poll: false, stored: 2 });
      expect(unpolled.message).toContain('not watched for a hang-up (FDPOLL=0)');
      await sdnode.waitForEvent((e) => e.event === 'exit');
      expect(peers).toHaveLength(2);
      // The unpolled connection's peer closes first: were it watched, it would hang up no later than the other.
      peers[1]?.destroy();
      peers[0]?.destroy();
      const dropped = await sdnode.waitForEvent((e) => e.event === 'fdstore' && e.dropped === 1);
      expect(dropped).toMatchObject({ stored: 1 });
      expect(dropped.message).toContain('dropped an fd named "polled": it hung up');
      expect(await request(sdnode.port)).toBe('unknown:unpolled\n');
      expect(sdnode.events().filter((e) => e.dropped !== undefined)).toHaveLength(1);
    } finally {
      peerServer.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--watch: restarts under a client storm refuse no connection', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdnode-cli-'));
    const trigger = path.join(dir, 'trigger');
    fs.writeFileSync(trigger, '0');
    try {
      const sdnode = await startSdnode((port) => [...loopback(port), '--watch', dir, ...service(daemonMain('socket-service'))]);
      // The storm runs until both restarts are over (the third instance is ready), at most 3000 connections.
      const limit = 3000;
      const concurrency = 8;
      let restarted = false;
      let sent = 0;
      const outcomes: string[] = [];
      const worker = async (): Promise<void> => {
        while (!restarted && sent < limit) {
          sent++;
          outcomes.push(await request(sdnode.port).catch((error: Error) => `error: ${error.message}`));
        }
      };
      const storm = Promise.all(Array.from({ length: concurrency }, worker));
      for (let change = 1; change <= 2; change++) {
        await sdnode.waitForEvent((e) => e.event === 'notify' && e.fields?.READY === '1', change);
        fs.writeFileSync(trigger, String(change));
        await sdnode.waitForEvent((e) => e.event === 'restart', change);
      }
      await sdnode.waitForEvent((e) => e.event === 'notify' && e.fields?.READY === '1', 3);
      const duringRestarts = outcomes.length;
      restarted = true;
      await storm;
      expect(outcomes.filter((outcome) => outcome !== 'This is a test\n')).toEqual([]);
      expect(duringRestarts).toBeGreaterThan(0);
      expect(sdnode.events().filter((e) => e.event === 'start')).toHaveLength(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
