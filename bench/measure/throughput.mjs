// P2: per-connection modes (-a, -a --inetd): connections per second at a fixed
// concurrency over a fixed count; every connection starts a process.
import { load } from '../lib/client.mjs';
import { startActivated } from '../lib/launcher.mjs';
import { waitNoChildren } from '../lib/procs.mjs';
import { rounds } from './rounds.mjs';

export async function measureThroughput(mode, contenders, { rounds: count, connections, concurrency }) {
  const launchers = new Map();
  try {
    for (const contender of contenders) {
      launchers.set(contender, await startActivated(mode.launcherArgs, contender.command, contender.env));
    }
    return await rounds(contenders, count, async (contender) => {
      const launcher = launchers.get(contender);
      const since = launcher.stderr().length;
      const perSecond = await load(launcher.port, { count: connections, concurrency, expected: mode.expected }).catch(async (error) => {
        throw await launcher.explain(error, since);
      });
      await waitNoChildren(launcher.pid);
      return perSecond;
    });
  } finally {
    await Promise.all([...launchers.values()].map((launcher) => launcher.stop()));
  }
}
