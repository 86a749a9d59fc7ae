// A node:cluster app written the natural way: the primary only forks (with "read", it first reads
// listenFds() itself), each worker calls listen() with a fallback and answers with its pid.
import cluster from 'node:cluster';
import http from 'node:http';
import { listen, listenFds } from '../../dist/index.js';

const [fallbackPort, read] = process.argv.slice(2);
if (cluster.isPrimary) {
  if (read === 'read') process.stderr.write(`${JSON.stringify({ primaryRead: listenFds() })}\n`);
  for (let i = 0; i < 2; i++) cluster.fork();
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers)) worker.process.kill();
    process.exit(0);
  });
} else {
  const server = http.createServer((_request, response) => {
    response.setHeader('connection', 'close');
    response.end(String(process.pid));
  });
  listen(server, { fallback: { host: '127.0.0.1', port: Number(fallbackPort) } }).then(
    (listening) => process.stderr.write(`${JSON.stringify({ worker: process.pid, ...listening })}\n`),
    (error) => process.stderr.write(`${JSON.stringify({ worker: process.pid, error: error.message, code: error.code })}\n`),
  );
}
