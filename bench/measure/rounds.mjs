// Interleaved sampling: every round runs each contender once, in turn (ABCABC…), so
// that a noisy neighbour or a warming machine affects all of them alike. Round 0 is a
// warm-up (file cache, first compile) and is not kept. A failed sample is counted and
// shown, never hidden; a contender that fails repeatedly is dropped with its error
// instead of ending the whole run.
import { startActivated } from '../lib/launcher.mjs';
import { waitNoChildren } from '../lib/procs.mjs';
import { summarize } from '../lib/stats.mjs';

const MAX_FAILURES = 2;

/** sample(contender, round) → number; round 0 is the warm-up. */
export async function rounds(contenders, count, sample) {
  const results = new Map(contenders.map((contender) => [contender, { samples: [], failures: [], error: undefined }]));
  for (let round = 0; round <= count; round++) {
    for (const contender of contenders) {
      const result = results.get(contender);
      if (result.error) continue;
      try {
        const value = await sample(contender, round);
        if (round > 0) result.samples.push(value);
      } catch (error) {
        result.failures.push(error.message.split('\n')[0]);
        if (result.failures.length > MAX_FAILURES) result.error = result.failures.at(-1);
      }
    }
  }
  return contenders.map((contender) => {
    const { samples, failures, error } = results.get(contender);
    return { contender, error, failures, samples, summary: samples.length ? summarize(samples) : undefined };
  });
}

/**
 * rounds() for the modes that start a process per connection (-a, -a --inetd): one launcher per
 * contender serves all its samples. measure(port) → number takes one sample; a failure comes back
 * with what the program said on stderr.
 */
export async function launcherRounds(mode, contenders, count, measure) {
  const launchers = new Map();
  try {
    for (const contender of contenders) {
      launchers.set(contender, await startActivated(mode.launcherArgs, contender.command, contender.env));
    }
    return await rounds(contenders, count, async (contender) => {
      const launcher = launchers.get(contender);
      const since = launcher.stderr().length;
      const value = await measure(launcher.port).catch(async (error) => {
        throw await launcher.explain(error, since);
      });
      // Let the finished processes go before the next contender runs on the same cores.
      await waitNoChildren(launcher.pid);
      return value;
    });
  } finally {
    await Promise.all([...launchers.values()].map((launcher) => launcher.stop()));
  }
}
