import { describe, expect, it } from 'vitest';
import { oneAtATime } from '../src/one-at-a-time.js';

/** A run that the test ends by hand, so that calls can be made while it runs. */
function controlledRuns() {
  const ends: Array<(ok: boolean) => void> = [];
  let started = 0;
  const run = oneAtATime(
    () =>
      new Promise<number>((resolve, reject) => {
        const n = ++started;
        ends.push((ok) => (ok ? resolve(n) : reject(new Error(`run ${n} failed`))));
      }),
  );
  const end = async (ok = true): Promise<void> => {
    ends.shift()?.(ok);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { run, end, started: () => started };
}

describe('oneAtATime', () => {
  it('runs at once when idle, and each idle call gets a run of its own', async () => {
    const { run, end, started } = controlledRuns();
    const first = run();
    expect(started()).toBe(1);
    await end();
    expect(await first).toBe(1);
    const second = run();
    await end();
    expect(await second).toBe(2);
  });

  it('calls during a run share one more run after it, which starts only once the first has ended', async () => {
    const { run, end, started } = controlledRuns();
    const first = run();
    const [a, b, c] = [run(), run(), run()];
    expect(started()).toBe(1);
    await end();
    expect(await first).toBe(1);
    expect(started()).toBe(2);
    await end();
    expect(await Promise.all([a, b, c])).toEqual([2, 2, 2]);
    expect(started()).toBe(2);
  });

  it('a failed run rejects only its own callers; the queued run still happens', async () => {
    const { run, end } = controlledRuns();
    const first = run();
    const queued = run();
    await end(false);
    await expect(first).rejects.toThrow('run 1 failed');
    await end();
    expect(await queued).toBe(2);
  });

  it('a call during the queued run queues another one', async () => {
    const { run, end, started } = controlledRuns();
    void run();
    const second = run();
    await end();
    const third = run();
    expect(third).not.toBe(second);
    await end();
    expect(await second).toBe(2);
    await end();
    expect(await third).toBe(3);
    expect(started()).toBe(3);
  });
});
