// Type=notify-reload: newer systemd (systemd/systemd#39692) reads SigCgt from /proc/PID/status when
// READY=1 arrives and fails the start (Result=protocol) if the reload signal is not caught by then.
// The daemon's first sendmsg (its READY=1) is held in the kernel by strace's delay_exit after the
// datagram was delivered, so what the receiver reads is the daemon's state at READY=1, not a moment
// later: a handler installed after READY=1 is not there yet.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonMain, freePort, Running, startReceiver, stopAll } from '../support/index.js';

afterEach(stopAll);

const hasStrace = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
// Long enough for the receiver to read /proc while the daemon is held; the pass does not depend on it.
const HOLD_US = 5_000_000;
const SIGHUP_BIT = 1n << (1n - 1n);

function caughtSignals(pid: number): bigint {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (mask === undefined) throw new Error(`no SigCgt in /proc/${pid}/status`);
  return BigInt(`0x${mask}`);
}

describe('socket-service under a service manager', () => {
  it.skipIf(!hasStrace)('catches SIGHUP already when its READY=1 arrives (needs strace: apt-get install strace)', async () => {
    const receiver = await startReceiver();
    const daemon = new Running(
      'strace',
      [
        '-f',
        '-qq',
        '-o',
        '/dev/null',
        '-e',
        'trace=sendmsg',
        '-e',
        `inject=sendmsg:delay_exit=${HOLD_US}:when=1`,
        process.execPath,
        daemonMain('socket-service'),
      ],
      { env: { PATH: process.env.PATH, NOTIFY_SOCKET: receiver.address, PORT: String(await freePort()) } },
    );
    let node: number | undefined;
    try {
      const ready = await receiver.next(30_000);
      node = ready.pid;
      const caught = caughtSignals(node);
      expect(ready.text).toMatch(/^READY=1$/m);
      expect(caught & SIGHUP_BIT, `SigCgt ${caught.toString(16)} at READY=1`).toBe(SIGHUP_BIT);
      // Once released it serves, and stops as usual.
      expect(await daemon.waitForStderr(/serving on 127\.0\.0\.1/, 30_000)).toBe(true);
    } finally {
      // The node process itself: a signal to strace would leave it running, detached.
      if (node !== undefined && daemon.alive) process.kill(node, 'SIGTERM');
      await daemon.waitForExit(30_000);
      await receiver.stop();
    }
  });
});
