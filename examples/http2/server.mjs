// HTTP/2 in cleartext (h2c) on the socket systemd passes, or on 127.0.0.1:$PORT (default 8080) when
// started by hand.
import http2 from 'node:http2';
import { listen, notify, serveUntilStopped } from '@sdnode/activation';

const server = http2.createServer((_req, res) => res.end('Hello over HTTP/2\n'));
const fallback = { host: '127.0.0.1', port: Number(process.env.PORT ?? 8080) };
const { activated } = await listen(server, { fallback });
serveUntilStopped([server]); // SIGTERM: GOAWAY to each session, let the streams in flight finish, exit
notify.ready();
console.log(`http2: listening on ${activated ? 'the activated socket' : `port ${fallback.port}`}`);
