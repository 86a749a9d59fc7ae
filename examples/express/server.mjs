// Express 5 on the socket systemd passes, or on 127.0.0.1:$PORT (default 8080) when started by hand.
import http from 'node:http';
import { listen, notify, serveUntilStopped } from '@sdnode/activation';
import express from 'express';

const app = express();
app.get('/', (_req, res) => res.send('Hello from Express\n'));

const server = http.createServer(app);
const fallback = { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) };
const { activated } = await listen(server, { fallback });
serveUntilStopped([server]); // SIGTERM: stop accepting, let the requests in flight finish, exit
notify.ready();
console.log(`express: listening on ${activated ? 'the activated socket' : `port ${fallback.port}`}`);
