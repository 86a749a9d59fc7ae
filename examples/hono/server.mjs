// Hono on the socket systemd passes, or on 127.0.0.1:$PORT (default 8080) when started by hand.
import { createAdaptorServer } from '@hono/node-server';
import { listen, notify, serveUntilStopped } from '@sdnode/activation';
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.text('Hello from Hono\n'));

// serve() from @hono/node-server always listens on a port of its own; createAdaptorServer() makes
// the same server without listening, for listen() to put on the activated socket.
const server = createAdaptorServer({ fetch: app.fetch });
const fallback = { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) };
const { activated } = await listen(server, { fallback });
serveUntilStopped([server]); // SIGTERM: stop accepting, let the requests in flight finish, exit
notify.ready();
console.log(`hono: listening on ${activated ? 'the activated socket' : `port ${fallback.port}`}`);
