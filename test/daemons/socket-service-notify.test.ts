// Mode 1 against notify receivers that misbehave: missing, vanishing after READY, not reading.
// Whatever the receiver does, the daemon keeps serving and still stops on SIGTERM.
import { afterEach, describe, expect, it } from 'vitest';
import { activate, daemonMain, HeldConnection, launch, loopback, request, startReceiver, stopAll, waitFor } from '../support/index.js';

const MESSAGE = 'This is a test\n';

afterEach(stopAll);

function notifyWarnings(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.includes('[SDNODE_NOTIFY]'));
}

describe('socket-service and its notify receiver', () => {
  it('NOTIFY_SOCKET naming a missing path: the activating client gets its answer, the daemon keeps serving, one warning', async () => {
    const { process: daemon, port } = await activate(
      (port) => ['-E', 'NOTIFY_SOCKET=/nonexistent', ...loopback(port)],
      ['node', daemonMain('socket-service')],
    );
    expect(await request(port)).toBe(MESSAGE);
    for (let i = 0; i < 3; i++) expect(await request(port)).toBe(MESSAGE);
    expect(daemon.alive).toBe(true);
    const warnings = notifyWarnings(daemon.stderr);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/NOTIFY_SOCKET="\/nonexistent": .*ENOENT/);
  });

  it('a receiver that vanishes after READY: the daemon keeps serving and stops on SIGTERM', async () => {
    const receiver = await startReceiver();
    const { process: daemon, port } = await launch('socket-service', { env: { NOTIFY_SOCKET: receiver.address } });
    try {
      expect(await request(port)).toBe(MESSAGE);
      expect((await receiver.next()).text).toMatch(/^READY=1\n/);
    } finally {
      await receiver.stop(); // the process is killed, its socket removed
    }
    for (let i = 0; i < 5; i++) expect(await request(port)).toBe(MESSAGE);
    expect(daemon.alive).toBe(true);
    // The served count goes out at most once a second: the first send to the vanished receiver is
    // the one that warns, within that second.
    expect(await daemon.waitForStderr(/\[SDNODE_NOTIFY\]/)).toBe(true);
    daemon.signal('SIGTERM');
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
    expect(notifyWarnings(daemon.stderr)).toEqual([expect.stringMatching(/NOTIFY_SOCKET=".*": .*(ENOENT|ECONNREFUSED)/)]);
  });

  it('a receiver that stops reading: the daemon keeps serving, SIGTERM still stops it, READY and STOPPING arrive once it reads', async () => {
    const receiver = await startReceiver({ args: ['--stalled'] });
    try {
      const { process: daemon, port } = await launch('socket-service', { env: { NOTIFY_SOCKET: receiver.address } });
      // Far more notifications than the receiver's queue holds (net.unix.max_dgram_qlen, 10 here).
      for (let i = 0; i < 30; i++) expect(await request(port)).toBe(MESSAGE);
      // Reads the whole reply but keeps its side open: the daemon counts it open until we end it.
      const held = await HeldConnection.open(port);
      await waitFor('the whole reply', () => held.ended || held.error);
      expect(held.data).toBe(MESSAGE);
      daemon.signal('SIGTERM');
      expect(await daemon.waitForStderr(/socket-service: SIGTERM: no longer accepting, finishing 1 open connection$/m)).toBe(true);
      expect(daemon.alive).toBe(true);

      receiver.resume();
      const texts: string[] = [];
      while (!texts.at(-1)?.startsWith('STOPPING=1')) texts.push((await receiver.next()).text);
      expect(texts[0]).toBe('READY=1\nSTATUS=Serving on activated socket\n');
      // The newest STATUS before STOPPING counts every connection: older ones were replaced while queued.
      expect(texts.at(-2)).toBe('STATUS=Serving on activated socket; 31 connections served\n');
      expect(texts.length).toBeLessThan(31);
      expect(texts.at(-1)).toBe('STOPPING=1\nSTATUS=SIGTERM: no longer accepting, finishing 1 open connection\n');

      held.close();
      expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
      expect(notifyWarnings(daemon.stderr)).toEqual([]);
    } finally {
      await receiver.stop();
    }
  });
});
