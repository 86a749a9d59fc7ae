// A worker that dies at start-up would be replaced at once, die again and fork in a tight loop,
// eating the cores the healthy workers need. The first death is replaced at once (a crash of a
// healthy worker must not leave a gap); each further one without a worker that has stayed up in
// between waits twice as long, up to a cap.

/** The wait before the second replacement in a row; it doubles from there. */
export const BACKOFF_FIRST_MS = 100;
/** The longest wait between two replacements. */
export const BACKOFF_MAX_MS = 5_000;
/** A worker listening this long ends a crash loop: the next death is replaced at once again. */
export const STABLE_AFTER_MS = 10_000;

export class CrashBackoff {
  /** Deaths since the last worker that stayed up. */
  private deaths = 0;

  /** Counts a death; how long to wait before replacing the worker: 0, 100, 200, 400 … 5000 ms. */
  nextDelayMs(): number {
    const delay = this.deaths === 0 ? 0 : Math.min(BACKOFF_FIRST_MS * 2 ** (this.deaths - 1), BACKOFF_MAX_MS);
    this.deaths++;
    return delay;
  }

  /** Deaths in a row so far. */
  get inARow(): number {
    return this.deaths;
  }

  /** A worker has stayed up: the loop is over. */
  reset(): void {
    this.deaths = 0;
  }
}
