// Koa 3 on the socket systemd passes, or on 127.0.0.1:$PORT (default 8080) when started by hand.
import http from 'node:http';
import { listen, notify, serveUntilStopped } from '@sdnode/activation';
import Koa from 'koa';

const app = new Koa();
app.use((ctx) => {
  ctx.body = 'Hello from Koa\n';
});

// Koa's app.listen() would open a port of its own: hand its request handler to a server instead.
const server = http.createServer(app.callback());
const fallback = { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) };
const { activated } = await listen(server, { fallback });
serveUntilStopped([server]); // SIGTERM: stop accepting, let the requests in flight finish, exit
notify.ready();
console.log(`koa: listening on ${activated ? 'the activated socket' : `port ${fallback.port}`}`);
