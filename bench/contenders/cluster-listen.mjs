// Mode 1's job as a node:cluster app on the library: the primary forks $WORKERS workers and
// speaks to the manager for them (serveCluster); each worker answers on the activated socket.
import cluster from 'node:cluster';
import { createServer } from 'node:net';
import { listen, serveCluster, serveUntilStopped } from '../../packages/activation/dist/index.js';

if (cluster.isPrimary) {
  serveCluster({ workers: Number(process.env.WORKERS ?? 2) });
} else {
  const server = createServer((socket) => socket.end('This is a test\n'));
  await listen(server);
  serveUntilStopped([server]);
}
