// Loopback ports for the tests and the benchmark (plain JavaScript so that bench/, which runs on
// Node without a TypeScript loader, shares it; test/support/ports.ts gives it its types).
//
// A port handed out is verifiably free (TCP and UDP on 127.0.0.1 bind at that moment) and reserved
// for the process that asked: the reservation is an abstract unix socket named after the port, held
// until the process exits, so no other test file, test run or benchmark using this helper can be
// handed the same port, and the kernel drops the reservation with the process (nothing is left
// behind by a crash). Only a program not using this helper can still take a port in the moment
// between the check and its use.
import dgram from 'node:dgram';
import net from 'node:net';

/**
 * Clear of the fixed ports the systemd beds lock (7001–7010, test/systemd/port-lock.ts) and of the
 * kernel's ephemeral range (32768 up), where the clients' own ports come from.
 */
export const PORT_RANGE = Object.freeze({ first: 20000, last: 29999 });

const ATTEMPTS = 500;
/** Ports this process reserved, each held by an unref'd server on `\0sdnode-port-N`. */
const reserved = new Map();

/** Resolves true once `server` listens on `options`, false when that is taken (nothing left open). */
function listens(server, options) {
  return new Promise((resolve, reject) => {
    server.once('error', (error) => (error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(false) : reject(error)));
    server.listen(options, () => resolve(true));
  });
}

async function reserve(port) {
  const holder = net.createServer();
  if (!(await listens(holder, { path: `\0sdnode-port-${port}`, exclusive: true }))) return false;
  holder.unref();
  reserved.set(port, holder);
  return true;
}

async function tcpFree(port) {
  const server = net.createServer();
  const free = await listens(server, { host: '127.0.0.1', port, exclusive: true });
  if (free) await new Promise((resolve) => server.close(resolve));
  return free;
}

function udpFree(port) {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', (error) => {
      socket.close();
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    socket.bind({ address: '127.0.0.1', port, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

/** Reserves `port` for this process if no one else has, then checks that nothing listens on it. */
async function claim(port) {
  return !reserved.has(port) && (await reserve(port)) && (await tcpFree(port)) && (await udpFree(port));
}

/**
 * A free loopback port of PORT_RANGE, reserved for this process; with `count`, the first of that many
 * consecutive ones (a demo that listens on PORT, PORT+1 and PORT+2).
 */
export async function freePort(count = 1) {
  if (!Number.isInteger(count) || count < 1 || count > 16) throw new RangeError(`freePort(count): expected 1 to 16, got ${count}`);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const first = PORT_RANGE.first + Math.floor(Math.random() * (PORT_RANGE.last - count + 2 - PORT_RANGE.first));
    let all = true;
    for (let port = first; all && port < first + count; port++) all = await claim(port);
    if (all) return first;
  }
  throw new Error(`freePort: no ${count} free consecutive port(s) in ${PORT_RANGE.first}-${PORT_RANGE.last} after ${ATTEMPTS} tries`);
}
