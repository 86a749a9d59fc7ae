// Every wait in the tests is bounded: these poll a condition until it holds or a deadline passes.

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` until it returns a value other than undefined or false, and resolves with it; throws
 * after `timeoutMs`, naming `what` and the last error `check` threw (a throwing check is polled again).
 * The pause between checks starts at `everyMs` and doubles up to 250 ms: quick for what comes at
 * once, gentle on the machine for checks that cost (a systemctl in the test bed).
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let pause = everyMs; ; pause = Math.min(pause * 2, Math.max(everyMs, 250))) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await sleep(pause);
  }
}

/** Whether `check` comes to hold within `timeoutMs` (for tests that assert it does). */
export function becomes(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  return waitFor('', check, timeoutMs).catch(() => false);
}

/**
 * Waits woken by events instead of polling: the handlers that change what a condition tests call
 * `wake()`, and `until()` re-checks at once (a queue of datagrams, a process's output).
 */
export class Wakeups {
  readonly #waiters = new Set<() => void>();

  wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** True once `done()` holds, checked now and at every wake(); false when `timeoutMs` passes first. */
  until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (result: boolean): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(result);
      };
      const check = (): void => {
        if (done()) finish(true);
      };
      const timer = setTimeout(() => finish(done()), timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}
