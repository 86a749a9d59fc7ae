// P3: mode 1 in steady state, against a plain net server that bound its port itself
// (and the bare-Node adoption): connections per second, and the server's CPU time
// per connection, which still shows a difference when the client is the bottleneck.
import path from 'node:path';
import { BENCH } from '../lib/build.mjs';
import { load } from '../lib/client.mjs';
import { startActivated, startBound } from '../lib/launcher.mjs';
import { cpuNanoseconds, treeCpuNanoseconds } from '../lib/procs.mjs';
import { summarize } from '../lib/stats.mjs';
import { rounds } from './rounds.mjs';

export const PLAIN_NET = {
  name: 'plain net server',
  role: 'plain',
  command: [process.execPath, path.join(BENCH, 'contenders/plain-net.mjs')],
  env: {},
};

/**
 * Resolves to { rate, cpu }: two result lists, one per figure. `cpuOf`: 'main thread' (the
 * server's JavaScript thread) or 'tree' (every thread of the server and of its children).
 */
export async function measureSteady(mode, contenders, { rounds: count, connections, concurrency }, cpuOf = 'main thread') {
  const cpuNow = cpuOf === 'tree' ? treeCpuNanoseconds : cpuNanoseconds;
  const servers = new Map();
  const cpu = new Map(contenders.map((contender) => [contender, []]));
  try {
    for (const contender of contenders) {
      servers.set(
        contender,
        contender.role === 'plain'
          ? await startBound(contender.command, contender.env)
          : await startActivated(mode.launcherArgs, contender.command, contender.env),
      );
    }
    const rate = await rounds(contenders, count, async (contender, round) => {
      const server = servers.get(contender);
      const before = cpuNow(server.pid);
      const perSecond = await load(server.port, { count: connections, concurrency, expected: mode.expected });
      // Microseconds of CPU per connection.
      if (round > 0) cpu.get(contender).push((cpuNow(server.pid) - before) / 1000 / connections);
      return perSecond;
    });
    return {
      rate,
      cpu: rate.map((result) => {
        const samples = result.error ? [] : cpu.get(result.contender);
        return { ...result, failures: [], samples, summary: samples.length ? summarize(samples) : undefined };
      }),
    };
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }
}
