// A storm of short connections against a port while a bed test disrupts the service behind it.
import { fetchAnswer } from '../support/index.js';

/** A connection that did not get the whole answer: what it got, and when it ran (Date.now() ms). */
export interface StormFailure {
  what: string;
  from: number;
  to: number;
}

export interface StormFigures {
  attempted: number;
  ok: number;
  refused: number;
  truncated: number;
  failures: StormFailure[];
}

export interface StormOptions {
  port: number;
  expected: string;
  /** At least this many connections... */
  connections: number;
  concurrency: number;
  /** ...and until this promise settles (the disruptions); bounded by maxConnections. */
  until?: Promise<unknown>;
  maxConnections: number;
}

/**
 * Many short connections, `concurrency` at a time. Each must read exactly `expected`:
 * ECONNREFUSED counts as refused, anything else short of it (less data, reset, timeout) as truncated.
 */
export async function storm(options: StormOptions): Promise<StormFigures> {
  const figures: StormFigures = { attempted: 0, ok: 0, refused: 0, truncated: 0, failures: [] };
  let disruptionsDone = options.until === undefined;
  void options.until?.finally(() => (disruptionsDone = true));
  const more = (): boolean => figures.attempted < options.maxConnections && (figures.attempted < options.connections || !disruptionsDone);
  async function worker(): Promise<void> {
    while (more()) {
      figures.attempted++;
      const from = Date.now();
      const answer = await fetchAnswer(options.port, 30_000);
      if (answer.error === 'ECONNREFUSED') figures.refused++;
      else if (answer.error === undefined && answer.data === options.expected) figures.ok++;
      else figures.truncated++;
      if (answer.error !== undefined || answer.data !== options.expected) {
        figures.failures.push({ what: `${answer.error ?? 'eof'} after ${JSON.stringify(answer.data)}`, from, to: Date.now() });
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return figures;
}
