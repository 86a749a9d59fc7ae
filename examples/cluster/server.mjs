// A node:cluster app on the socket systemd passes (or 127.0.0.1:$PORT, default 8080, by hand):
// the primary forks $WORKERS workers (default one per core) and speaks to the manager for them;
// each worker listens and answers GET / with its pid.
import cluster from 'node:cluster';
import http from 'node:http';
import os from 'node:os';
import { listen, serveCluster, serveUntilStopped } from '@sdnode/activation';

if (cluster.isPrimary) {
  // READY once every worker listens, a dead worker replaced, SIGHUP restarts them one at a time,
  // SIGTERM drains every worker.
  serveCluster({ workers: Number(process.env.WORKERS ?? os.availableParallelism()) });
} else {
  const server = http.createServer((_request, response) => response.end(`${process.pid}\n`));
  const fallback = { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) };
  // In a worker, listen() shares the primary's activated socket through node:cluster.
  const { activated } = await listen(server, { fallback });
  serveUntilStopped([server]); // SIGTERM (from the primary): let the requests in flight finish, exit
  console.log(`worker ${process.pid}: listening on ${activated ? 'the activated socket' : `port ${fallback.port}`}`);
}
