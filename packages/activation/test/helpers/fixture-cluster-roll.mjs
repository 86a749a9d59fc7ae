// A serveCluster primary whose workers share 127.0.0.1:PORT through it and answer with their pid.
// What a worker does is read from MODE_FILE when it starts, so a test can change what the next
// forks do: "serve", "slow" (listens after 300 ms), "hang" (never listens), "crash" (exits 3).
// SIGUSR2 calls restartWorkers(); the primary prints {forked}, {restarted} and {failed} lines.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { serveCluster, serveUntilStopped } from '../../dist/index.js';

const [port, workers, modeFile, listenTimeoutMs] = process.argv.slice(2);
const log = (value) => process.stderr.write(`${JSON.stringify(value)}\n`);

if (cluster.isPrimary) {
  cluster.on('fork', (worker) => log({ forked: worker.process.pid }));
  const served = serveCluster({ workers: Number(workers), listenTimeoutMs: Number(listenTimeoutMs), stopDeadlineMs: 5000 });
  process.on('SIGUSR2', () =>
    served.restartWorkers().then(
      (restarted) => log({ restarted }),
      (error) => log({ failed: error.message }),
    ),
  );
} else {
  const mode = readFileSync(modeFile, 'utf8').trim();
  if (mode === 'crash') process.exit(3);
  if (mode === 'hang') setInterval(() => {}, 60_000);
  else {
    const server = http.createServer((_request, response) => {
      response.setHeader('connection', 'close');
      response.end(`${process.pid}\n`);
    });
    setTimeout(() => server.listen({ host: '127.0.0.1', port: Number(port) }), mode === 'slow' ? 300 : 0);
    serveUntilStopped([server]);
  }
}
