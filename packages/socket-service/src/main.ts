import net from 'node:net';
import { keepAlive, listenAll, listenFds, notify } from '@sdnode/activation';
import { Connections, count } from './connections.js';
import { fail, fallbackPort, idleTimeoutMs } from './options.js';
import { shutdown } from './shutdown.js';

const connections = new Connections();

function onConnection(socket: net.Socket): void {
  connections.track(socket);
  socket.end('This is a test\n');
}

const port = fallbackPort();
const idleMs = idleTimeoutMs();
const servers = await listenAll(() => net.createServer(onConnection), {
  fallback: { port, host: '127.0.0.1' },
}).catch(fail);
const activated = listenFds().length > 0;
const where = activated ? 'activated socket' : `127.0.0.1:${port} (not socket-activated)`;

console.error(`socket-service: serving on ${where}`);
notify.ready(`Serving on ${where}`);
connections.onServed((served) => notify.status(`Serving on ${where}; ${count(served, 'connection')} served`));
keepAlive();

const stop = (reason: string): void => shutdown(servers, reason, connections.open);
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));

if (idleMs !== undefined && activated) connections.onIdle(idleMs, () => stop('idle'));
if (idleMs !== undefined && !activated) console.error('socket-service: idle timeout ignored: nothing would start it again');
