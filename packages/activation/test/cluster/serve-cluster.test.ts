// serveCluster: each bad option is a SystemdError naming it, thrown before any worker is forked or
// any signal handler installed; the rolling restart and the crash-loop backoff with real workers.
// (The activated socket itself is tested with examples/cluster under systemd-socket-activate,
// test/examples/cluster.test.ts, and under a real manager in test/systemd/cluster-rolling.test.ts.)
import cluster from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serveCluster } from '../../src/cluster/serve-cluster.js';
import { CrashBackoff } from '../../src/cluster/crash-backoff.js';
import { SystemdError } from '../../src/errors.js';
import { onReload } from '../../src/notify/reload.js';
import {
  type Activated,
  assertBuilt,
  exchange,
  fixture,
  isAlive,
  jsonLines,
  freePort,
  type Receiver,
  start,
  startReceiver,
  waitFor,
} from '../../../../test/support/index.js';

describe('serveCluster()', () => {
  it('rejects bad options with a SystemdError naming them, forking nothing', () => {
    const listeners = process.listenerCount('SIGTERM');
    const cases: [() => unknown, RegExp][] = [
      [() => serveCluster({ workers: 0 }), /^workers=0: expected a positive integer$/],
      [() => serveCluster({ workers: Number.NaN }), /^workers=NaN: expected a positive integer$/],
      [() => serveCluster({ workers: 1.5 }), /^workers=1\.5: /],
      [() => serveCluster({ workers: 2, stopDeadlineMs: 0 }), /^stopDeadlineMs=0: expected a number of milliseconds from 1 to/],
      [() => serveCluster({ workers: 2, listenTimeoutMs: -1 }), /^listenTimeoutMs=-1: expected a number of milliseconds from 1 to/],
      [
        () => serveCluster({ workers: 2, listenTimeoutMs: 2 ** 31 }),
        /^listenTimeoutMs=2147483648: expected a number of milliseconds from 1 to 2147483647$/,
      ],
      [
        () => serveCluster({ workers: 2, reloadSignal: 'HUP' as NodeJS.Signals }),
        /^reloadSignal="HUP": expected a signal name such as SIGHUP, or false$/,
      ],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(SystemdError);
      expect(call).toThrow(message);
    }
    expect(Object.keys(cluster.workers ?? {})).toEqual([]);
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });

  it('throws EEXIST, forking nothing, when the program has a reload handler of its own', () => {
    const off = onReload(() => 'reloaded');
    try {
      const listeners = [cluster.listenerCount('exit'), process.listenerCount('SIGTERM')];
      expect(() => serveCluster({ workers: 1 })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
      expect(Object.keys(cluster.workers ?? {})).toEqual([]);
      expect([cluster.listenerCount('exit'), process.listenerCount('SIGTERM')]).toEqual(listeners);
    } finally {
      off();
    }
  });
});

// The roll and the crash-loop backoff with real workers: a fixture primary (fixtures/cluster-roll.mjs)
// whose workers share a loopback port through node:cluster, a real datagram notify receiver, and
// clients connecting throughout.
const ROLL_FIXTURE = fixture('activation', 'cluster-roll.mjs');

interface Primary {
  run: Activated;
  port: number;
  modeFile: string;
  receiver: Receiver;
  /** Datagram texts from the primary, in order, up to and including the first one matching `pattern`. */
  until(pattern: RegExp, timeoutMs?: number): Promise<string[]>;
  forked(): number[];
}

const started: Primary[] = [];
afterEach(async () => {
  for (const primary of started.splice(0)) {
    primary.run.child.kill('SIGTERM');
    const gone = await Promise.race([primary.run.exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (gone === undefined) primary.run.kill();
    for (const pid of primary.forked()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already, as it should be
      }
    }
    await primary.receiver.stop();
    rmSync(path.dirname(primary.modeFile), { recursive: true, force: true });
  }
});

async function startPrimary(options: { workers: number; mode: string; listenTimeoutMs?: number }): Promise<Primary> {
  assertBuilt();
  const receiver = await startReceiver();
  const modeFile = path.join(mkdtempSync(path.join(tmpdir(), 'sdnode-roll-')), 'mode');
  writeFileSync(modeFile, options.mode);
  const port = await freePort();
  const argv = [process.execPath, ROLL_FIXTURE, String(port), String(options.workers), modeFile, String(options.listenTimeoutMs ?? 10_000)];
  const run = start(argv, port, { NOTIFY_SOCKET: receiver.address, NODE_CLUSTER_SCHED_POLICY: 'rr' });
  const primary: Primary = {
    run,
    port,
    modeFile,
    receiver,
    async until(pattern, timeoutMs = 20_000) {
      const texts: string[] = [];
      for (;;) {
        const datagram = await receiver.next(timeoutMs).catch((error: Error) => {
          throw new Error(`${error.message} matching ${pattern} after ${JSON.stringify(texts)}; the primary's stderr:\n${run.stderr()}`);
        });
        expect(datagram.pid).toBe(run.child.pid);
        texts.push(datagram.text);
        if (pattern.test(datagram.text)) return texts;
      }
    },
    forked: () =>
      jsonLines(run.stderr()).flatMap((line) => ((line as { forked?: number }).forked ? [(line as { forked: number }).forked] : [])),
  };
  started.push(primary);
  return primary;
}

/** The pid of the worker that answered GET / over a fresh connection, or the error's code. */
function askPid(port: number): Promise<string> {
  return exchange({ port }, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n').then(
    (answer) => /\r\n\r\n(\d+)\n$/.exec(answer.toString('utf8'))?.[1] ?? `bad answer ${JSON.stringify(answer.toString('utf8'))}`,
    (error: NodeJS.ErrnoException) => error.code ?? error.message,
  );
}

/** Whether 20 concurrent requests are all answered by workers among `pids`. */
async function onlyFrom(port: number, pids: number[]): Promise<boolean> {
  const answering = await Promise.all(Array.from({ length: 20 }, () => askPid(port)));
  return answering.every((pid) => pids.includes(Number(pid)));
}

/** `clients` clients asking one after another until `done` settles (at most `max` requests each): every outcome. */
async function storm(port: number, done: Promise<unknown>, clients = 4, max = 2000): Promise<string[]> {
  let over = false;
  void done.finally(() => (over = true));
  const outcomes: string[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < max && !over; i++) outcomes.push(await askPid(port));
    }),
  );
  return outcomes;
}

describe('serveCluster(): rolling restart', () => {
  it('on SIGHUP replaces every worker one at a time under a client storm: RELOADING=1, READY=1, none refused', async () => {
    const primary = await startPrimary({ workers: 2, mode: 'slow' });
    await primary.until(/^READY=1\n/);
    const before = primary.forked();
    expect(before).toHaveLength(2);
    const storming = (async () => {
      primary.run.child.kill('SIGHUP');
      return primary.until(/^READY=1\n/);
    })();
    const [outcomes, texts] = await Promise.all([storm(primary.port, storming), storming]);
    const [reloading, ...rest] = texts;
    expect(reloading).toMatch(/^RELOADING=1\nMONOTONIC_USEC=\d+\n$/);
    const after = primary.forked().slice(2);
    expect(after).toHaveLength(2);
    expect(rest).toEqual([
      `STATUS=2 of 2 workers listening; rolling restart: starting worker ${after[0]} to replace ${before[0]}\n`,
      `STATUS=2 of 2 workers listening; rolling restart: worker ${after[0]} took over, ${before[0]} draining\n`,
      `STATUS=2 of 2 workers listening; rolling restart: starting worker ${after[1]} to replace ${before[1]}\n`,
      `STATUS=2 of 2 workers listening; rolling restart: worker ${after[1]} took over, ${before[1]} draining\n`,
      'READY=1\nSTATUS=2 of 2 workers listening; rolling restart done: replaced 2 workers\n',
    ]);
    expect(before.filter(isAlive)).toEqual([]);
    const failed = outcomes.filter((outcome) => !/^\d+$/.test(outcome));
    expect(failed, `of ${outcomes.length} requests`).toEqual([]);
    expect(new Set(outcomes).size).toBeGreaterThanOrEqual(2);
    expect(await onlyFrom(primary.port, after)).toBe(true);
  }, 60_000);

  it('coalesces the SIGHUPs that arrive during a roll into one more roll after it', async () => {
    const primary = await startPrimary({ workers: 2, mode: 'slow' });
    await primary.until(/^READY=1\n/);
    primary.run.child.kill('SIGHUP');
    await primary.until(/^RELOADING=1\n/);
    // Both during the first roll (each new worker takes at least 300 ms to listen).
    primary.run.child.kill('SIGHUP');
    primary.run.child.kill('SIGHUP');
    const first = await primary.until(/^READY=1\n/);
    expect(first.at(-1)).toBe('READY=1\nSTATUS=2 of 2 workers listening; rolling restart done: replaced 2 workers\n');
    const second = await primary.until(/^READY=1\n/);
    expect(second[0]).toMatch(/^RELOADING=1\n/);
    expect(second.at(-1)).toBe('READY=1\nSTATUS=2 of 2 workers listening; rolling restart done: replaced 2 workers\n');
    // No third roll: 2 workers at the start, 2 for each roll.
    await expect(primary.receiver.next(1500)).rejects.toThrow(/no datagram/);
    expect(primary.forked()).toHaveLength(6);
  }, 60_000);

  it('gives the roll up when a new worker does not listen in time: the old workers keep serving, STATUS and a warning say so', async () => {
    const primary = await startPrimary({ workers: 2, mode: 'serve', listenTimeoutMs: 1000 });
    await primary.until(/^READY=1\n/);
    const before = primary.forked();
    writeFileSync(primary.modeFile, 'hang');
    primary.run.child.kill('SIGHUP');
    const texts = await primary.until(/^READY=1\n/);
    const hung = primary.forked()[2];
    expect(texts.at(-1)).toBe(
      'READY=1\nSTATUS=Reload failed, still on the previous configuration: rolling restart given up after 0 of 2 workers: ' +
        `new worker ${hung} did not listen within 1000 ms; kept 2 old workers\n`,
    );
    await waitFor('the warning', () => /reload failed: rolling restart given up/.test(primary.run.stderr()), 5000);
    expect(primary.forked()).toHaveLength(3);
    await waitFor('the hung worker to be stopped', () => !isAlive(hung as number), 10_000);
    expect(before.filter(isAlive)).toEqual(before);
    expect(await onlyFrom(primary.port, before)).toBe(true);
  }, 60_000);

  it('restartWorkers() gives the roll up when a new worker exits before it listens, and rejects saying so', async () => {
    const primary = await startPrimary({ workers: 2, mode: 'serve' });
    await primary.until(/^READY=1\n/);
    const before = primary.forked();
    writeFileSync(primary.modeFile, 'crash');
    primary.run.child.kill('SIGUSR2');
    const texts = await primary.until(/given up/);
    const crashed = primary.forked()[2];
    const why = `rolling restart given up after 0 of 2 workers: new worker ${crashed} exited before it listened; kept 2 old workers`;
    expect(texts.at(-1)).toBe(`STATUS=2 of 2 workers listening; ${why}\n`);
    await waitFor(
      'the rejection',
      () => jsonLines(primary.run.stderr()).some((line) => (line as { failed?: string }).failed === why),
      5000,
    );
    expect(before.filter(isAlive)).toEqual(before);
    // The worker that crashed in the roll is not replaced: the roll owned it.
    await expect(primary.receiver.next(1000)).rejects.toThrow(/no datagram/);
    expect(primary.forked()).toHaveLength(3);

    writeFileSync(primary.modeFile, 'serve');
    primary.run.child.kill('SIGUSR2');
    const done = await primary.until(/rolling restart done/);
    expect(done.at(-1)).toBe('STATUS=2 of 2 workers listening; rolling restart done: replaced 2 workers\n');
    expect(before.filter(isAlive)).toEqual([]);
  }, 60_000);
});

describe('serveCluster(): a worker that dies at start-up', () => {
  it('is replaced after a wait that doubles, said in STATUS, and serves once it can: a bounded number of forks', async () => {
    const primary = await startPrimary({ workers: 1, mode: 'crash' });
    const texts = await primary.until(/replacing it in 400 ms/);
    const pids = primary.forked();
    expect(texts.slice(0, 4)).toEqual([
      `STATUS=0 of 1 workers listening; worker ${pids[0]} exited (3), replacing it\n`,
      `STATUS=0 of 1 workers listening; worker ${pids[1]} exited (3), 2 in a row: backing off, replacing it in 100 ms\n`,
      `STATUS=0 of 1 workers listening; worker ${pids[2]} exited (3), 3 in a row: backing off, replacing it in 200 ms\n`,
      `STATUS=0 of 1 workers listening; worker ${pids[3]} exited (3), 4 in a row: backing off, replacing it in 400 ms\n`,
    ]);
    // Over the next 2 s: the 400 ms and 800 ms waits pass, the 1600 ms one does not. Without the
    // backoff a worker that exits at once is forked dozens of times a second.
    await new Promise((r) => setTimeout(r, 2000));
    expect(primary.forked().length).toBeLessThanOrEqual(7);
    writeFileSync(primary.modeFile, 'serve');
    expect((await primary.until(/^READY=1\n/, 15_000)).at(-1)).toBe('READY=1\nSTATUS=1 of 1 workers listening\n');
  }, 60_000);

  it('CrashBackoff: 0, then 100 ms doubling up to 5 s; reset() starts over', () => {
    const backoff = new CrashBackoff();
    const delays = Array.from({ length: 10 }, () => backoff.nextDelayMs());
    expect(delays).toEqual([0, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    expect(backoff.inARow).toBe(10);
    backoff.reset();
    expect([backoff.nextDelayMs(), backoff.nextDelayMs()]).toEqual([0, 100]);
  });
});
