import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemdError } from '../../src/errors.js';
import { notify } from '../../src/notify/notify.js';
import { startWatchdog, watchdogTimeout } from '../../src/notify/watchdog.js';
import { missingTools, type Receiver, Running, sleep, startReceiver, transpiledLibrary } from '../../../../test/support/index.js';

// Every test here talks to a real datagram receiver, a python3 program: without python3 they skip, naming it.
const noPython = missingTools('python3');

describe.skipIf(noPython)(`watchdog${noPython && ` (skipped: ${noPython})`}`, () => {
  function parseError(env: NodeJS.ProcessEnv): SystemdError {
    try {
      watchdogTimeout(env);
    } catch (error) {
      expect(error).toBeInstanceOf(SystemdError);
      return error as SystemdError;
    }
    throw new Error(`watchdogTimeout(${JSON.stringify(env)}) did not throw`);
  }

  describe('watchdogTimeout', () => {
    it('absent → undefined; a number of µs → the same span in ms and, exact, in µs', () => {
      expect(watchdogTimeout({})).toBeUndefined();
      expect(watchdogTimeout({ WATCHDOG_USEC: '1' })).toEqual({ ms: 0.001, usec: 1n });
      expect(watchdogTimeout({ WATCHDOG_USEC: '30000000' })).toEqual({ ms: 30_000, usec: 30_000_000n });
      expect(watchdogTimeout({ WATCHDOG_USEC: '18446744073709551614' })?.usec).toBe(18_446_744_073_709_551_614n);
    });

    it('leading zeros are errors (libsystemd reads them as octal: stricter, never different)', () => {
      for (const value of ['010', '08', '00', '0001000000']) {
        const error = parseError({ WATCHDOG_USEC: value });
        expect(error.subject).toBe('WATCHDOG_USEC');
        expect(error.message).toMatch(/without leading zeros/);
      }
      expect(parseError({ WATCHDOG_USEC: '5000000', WATCHDOG_PID: `0${process.pid}` }).subject).toBe('WATCHDOG_PID');
    });

    it('0, infinity and garbage are errors naming WATCHDOG_USEC and the value', () => {
      for (const value of ['0', '', 'abc', '-5', '1.5', ' 5', '5s', '0x10', '18446744073709551615', '1'.repeat(21)]) {
        const error = parseError({ WATCHDOG_USEC: value });
        expect(error.code).toBe('EINVAL');
        expect(error.subject).toBe('WATCHDOG_USEC');
        expect(error.value).toBe(value);
        expect(error.message).toContain(`WATCHDOG_USEC=${JSON.stringify(value)}`);
      }
    });

    it('WATCHDOG_PID: absent or ours → the interval, another pid → undefined, garbage → error', () => {
      expect(watchdogTimeout({ WATCHDOG_USEC: '5000000', WATCHDOG_PID: String(process.pid) })).toEqual({ ms: 5000, usec: 5_000_000n });
      expect(watchdogTimeout({ WATCHDOG_USEC: '5000000', WATCHDOG_PID: String(process.pid + 1) })).toBeUndefined();
      for (const value of ['', 'x', '0', '-1', '1.0', `${process.pid} `]) {
        const error = parseError({ WATCHDOG_USEC: '5000000', WATCHDOG_PID: value });
        expect(error.subject).toBe('WATCHDOG_PID');
        expect(error.value).toBe(value);
      }
    });

    it('reads process.env by default', () => {
      const saved = process.env.WATCHDOG_USEC;
      try {
        process.env.WATCHDOG_USEC = '123';
        expect(watchdogTimeout()?.usec).toBe(123n);
      } finally {
        if (saved === undefined) delete process.env.WATCHDOG_USEC;
        else process.env.WATCHDOG_USEC = saved;
      }
    });
  });

  describe('startWatchdog', () => {
    let receiver: Receiver;
    let childLibrary: string;
    beforeAll(async () => {
      receiver = await startReceiver();
      childLibrary = transpiledLibrary(['notify/watchdog']);
    });
    afterAll(async () => {
      delete process.env.NOTIFY_SOCKET;
      delete process.env.WATCHDOG_USEC;
      await receiver?.stop();
      if (childLibrary) rmSync(childLibrary, { recursive: true, force: true });
    });

    it('is undefined without a watchdog', () => {
      delete process.env.WATCHDOG_USEC;
      expect(startWatchdog()).toBeUndefined();
    });

    it('pings WATCHDOG=1 at half the interval until stopped', async () => {
      process.env.NOTIFY_SOCKET = receiver.address;
      process.env.WATCHDOG_USEC = '200000'; // 200 ms → a ping every 100 ms
      const pinger = startWatchdog();
      expect(pinger).toBeDefined();
      try {
        expect(pinger!.intervalMs).toBe(100);
        for (let pings = 0; pings < 2; ) {
          const datagram = await receiver.next(30_000);
          expect(datagram.data.toString()).toBe('WATCHDOG=1\n');
          expect(datagram.pid).toBe(process.pid);
          pings++;
        }
      } finally {
        pinger!.stop();
      }
      // Pings sent before stop() may still be queued: drain up to a marker, then
      // let several intervals pass; the next datagram must be the second marker.
      notify.status('stopped');
      expect((await receiver.until('STATUS=stopped\n')).every((t) => t === 'WATCHDOG=1\n' || t === 'STATUS=stopped\n')).toBe(true);
      await sleep(500);
      notify.status('still stopped');
      expect((await receiver.next()).data.toString()).toBe('STATUS=still stopped\n');
    });

    it('clamps huge intervals to what setInterval can take', () => {
      process.env.WATCHDOG_USEC = '18446744073709551614';
      const pinger = startWatchdog();
      try {
        expect(pinger!.intervalMs).toBe(2 ** 31 - 1);
      } finally {
        pinger!.stop();
      }
    });

    it('never keeps the process alive', async () => {
      const script = path.join(childLibrary, 'child.mjs');
      writeFileSync(
        script,
        `import { startWatchdog } from './src/notify/watchdog.js';
       const pinger = startWatchdog();
       console.log(pinger === undefined ? 'no watchdog' : 'interval ' + pinger.intervalMs);
       // Stay a while so pings happen, then let the loop run dry: only the watchdog timer is left.
       setTimeout(() => console.log('done'), 350);
      `,
      );
      const child = new Running(process.execPath, [script], {
        env: { ...process.env, NOTIFY_SOCKET: receiver.address, WATCHDOG_USEC: '200000' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exit = await child.waitForExit(60_000).then(
        ({ code, signal }) => code ?? String(signal),
        async () => {
          await child.stop();
          return 'still running after 60 s';
        },
      );
      expect(exit).toBe(0);
      expect(child.stdout).toBe('interval 100\ndone\n');
      const ping = await receiver.next();
      expect(ping.data.toString()).toBe('WATCHDOG=1\n');
      expect(ping.pid).toBe(child.pid);
    }, 90_000);
  });
});
