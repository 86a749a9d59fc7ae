import type { Worker } from 'node:cluster';
import { listensWithin } from './handover.js';
import type { Primary } from './primary.js';
import { notify } from '../notify/notify.js';

/**
 * Replaces each worker running now, one at a time: a new one forked, waited for until it listens,
 * then the old one retired. Resolves with the STATUS text once all are new; rejects, keeping the
 * old workers not yet replaced, when a new one does not listen in time or the stop begins.
 */
export async function rollWorkers(primary: Primary): Promise<string> {
  const old = [...primary.alive].filter((w) => !primary.retiring.has(w) && !primary.incoming.has(w));
  let replaced = 0;
  const endedByStop = (): Error => new Error(`rolling restart ended by the stop after ${replaced} of ${old.length} workers`);
  for (const previous of old) {
    if (primary.stopping) throw endedByStop();
    // Died (and was replaced) meanwhile: its replacement is new already.
    if (previous.isDead()) continue;
    const next = primary.fork();
    if (next === undefined) throw endedByStop();
    primary.incoming.add(next);
    notify.status(`${primary.status()}; rolling restart: starting worker ${next.process.pid} to replace ${previous.process.pid}`);
    const failed = await listenFailure(primary, next);
    primary.incoming.delete(next);
    if (failed !== undefined) {
      await primary.retire(next);
      if (primary.stopping) throw endedByStop();
      const kept = old.length - replaced;
      throw new Error(
        `rolling restart given up after ${replaced} of ${old.length} workers: ${failed}; kept ${kept} old worker${kept === 1 ? '' : 's'}`,
      );
    }
    const drained = primary.retire(previous);
    notify.status(`${primary.status()}; rolling restart: worker ${next.process.pid} took over, ${previous.process.pid} draining`);
    await drained;
    replaced++;
  }
  return `${primary.status()}; rolling restart done: replaced ${replaced} worker${replaced === 1 ? '' : 's'}`;
}

/** Why `next` will not take over (it exited, or did not listen in time), or undefined once it listens. */
async function listenFailure(primary: Primary, next: Worker): Promise<string | undefined> {
  const { listenTimeoutMs } = primary.settings;
  if (primary.listening.has(next) || (await listensWithin(next, listenTimeoutMs))) return undefined;
  return next.isDead()
    ? `new worker ${next.process.pid} exited before it listened`
    : `new worker ${next.process.pid} did not listen within ${listenTimeoutMs} ms`;
}
