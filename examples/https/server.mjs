// HTTPS on the socket systemd passes, or on 127.0.0.1:$PORT (default 8443) when started by hand.
// TLS_KEY and TLS_CERT name the PEM files of the key and certificate (in a unit, LoadCredential=
// puts them in $CREDENTIALS_DIRECTORY).
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { listen, notify, serveUntilStopped } from '@sdnode/activation';

for (const name of ['TLS_KEY', 'TLS_CERT']) {
  if (!process.env[name]) throw new Error(`${name} is not set: it names a PEM file`);
}
const tls = { key: readFileSync(process.env.TLS_KEY), cert: readFileSync(process.env.TLS_CERT) };
const server = https.createServer(tls, (_req, res) => res.end('Hello over TLS\n'));
const fallback = { host: '127.0.0.1', port: Number(process.env.PORT ?? 8443) };
const { activated } = await listen(server, { fallback });
serveUntilStopped([server]); // SIGTERM: stop accepting, let the requests in flight finish, exit
notify.ready();
console.log(`https: listening on ${activated ? 'the activated socket' : `port ${fallback.port}`}`);
