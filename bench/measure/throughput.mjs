// P2: per-connection modes (-a, -a --inetd): connections per second at a fixed
// concurrency over a fixed count; every connection starts a process.
import { load } from '../lib/client.mjs';
import { launcherRounds } from './rounds.mjs';

export function measureThroughput(mode, contenders, { rounds: count, connections, concurrency }) {
  return launcherRounds(mode, contenders, count, (port) => load(port, { count: connections, concurrency, expected: mode.expected }));
}
