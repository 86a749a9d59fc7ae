// P1: cold activation, connect → first byte. Mode 1 starts a fresh launcher for every
// sample (the first connection execs the daemon); modes 2/3 start a process per
// connection anyway, so one launcher per contender serves all samples. A contender's
// `launch` replaces systemd-socket-activate (P6: sdnode activate).
import { fetchOnce } from '../lib/client.mjs';
import { startActivated } from '../lib/launcher.mjs';
import { launcherRounds, rounds } from './rounds.mjs';

export async function measureCold(mode, contenders, { rounds: count }) {
  if (mode.id === 'listen') {
    return rounds(contenders, count, async (contender) => {
      const launcher = await (contender.launch ?? startActivated)(mode.launcherArgs, contender.command, contender.env);
      try {
        return (await fetchOnce(launcher.port, mode.expected)).firstByteMs;
      } catch (error) {
        throw await launcher.explain(error);
      } finally {
        await launcher.stop();
      }
    });
  }
  return launcherRounds(mode, contenders, count, async (port) => (await fetchOnce(port, mode.expected)).firstByteMs);
}
