// P1: cold activation, connect → first byte. Mode 1 starts a fresh launcher for every
// sample (the first connection execs the daemon); modes 2/3 start a process per
// connection anyway, so one launcher per contender serves all samples.
import { fetchOnce } from '../lib/client.mjs';
import { startActivated } from '../lib/launcher.mjs';
import { waitNoChildren } from '../lib/procs.mjs';
import { rounds } from './rounds.mjs';

export async function measureCold(mode, contenders, { rounds: count }) {
  if (mode.id === 'listen') {
    return rounds(contenders, count, async (contender) => {
      const launcher = await startActivated(mode.launcherArgs, contender.command, contender.env);
      try {
        return (await fetchOnce(launcher.port, mode.expected)).firstByteMs;
      } catch (error) {
        throw await launcher.explain(error);
      } finally {
        await launcher.stop();
      }
    });
  }
  const launchers = new Map();
  try {
    for (const contender of contenders) {
      launchers.set(contender, await startActivated(mode.launcherArgs, contender.command, contender.env));
    }
    return await rounds(contenders, count, async (contender) => {
      const launcher = launchers.get(contender);
      const since = launcher.stderr().length;
      const { firstByteMs } = await fetchOnce(launcher.port, mode.expected).catch(async (error) => {
        throw await launcher.explain(error, since);
      });
      // Let the finished process go before the next contender runs on the same cores.
      await waitNoChildren(launcher.pid);
      return firstByteMs;
    });
  } finally {
    await Promise.all([...launchers.values()].map((launcher) => launcher.stop()));
  }
}
