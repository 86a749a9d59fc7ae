// Fastify 5 on the socket systemd passes, or on 127.0.0.1:$PORT (default 8080) when started by hand.
import { listen, notify, serveUntilStopped } from '@sdnode/activation';
import Fastify from 'fastify';

const app = Fastify();
app.get('/', async () => 'Hello from Fastify\n');

// Fastify sets up its routes and hooks in ready(), which its own listen() would have called. Without
// it the first request (under socket activation: the one already waiting) crashes the process.
await app.ready();
const fallback = { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) };
const { activated } = await listen(app.server, { fallback });
serveUntilStopped([app.server]); // SIGTERM: stop accepting, let the requests in flight finish, exit
notify.ready();
console.log(`fastify: listening on ${activated ? 'the activated socket' : `port ${fallback.port}`}`);
