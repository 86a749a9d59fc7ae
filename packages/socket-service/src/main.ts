import { createServer, type Server } from 'node:net';
import { type ListeningAll, listenAll, notify, serveUntilStopped, startWatchdog } from '@sdnode/activation';
import { fail, fallbackPort, idleTimeoutMs } from './options.js';

const port = fallbackPort();
const idleMs = idleTimeoutMs();
listenAll(() => createServer((socket) => socket.end('This is a test\n')), {
  fallback: { port, host: '127.0.0.1' },
}).then(serve, fail);

function serve({ servers, activated }: ListeningAll<Server>): void {
  const where = activated ? 'activated socket' : `127.0.0.1:${port} (not socket-activated)`;

  notify.ready(`Serving on ${where}`);
  startWatchdog();
  // The connection that started us is already waiting: it is answered before this first, slow write to stderr.
  setImmediate(() => {
    console.error(`socket-service: serving on ${where}`);
    if (idleMs !== undefined && !activated) console.error('socket-service: idle timeout ignored: nothing would start it again');
  });

  // Idle exit only under socket activation: started by hand, nothing would start the daemon again.
  serveUntilStopped(servers, {
    idleTimeoutMs: activated ? idleMs : undefined,
    onServed: (served) => notify.status(`Serving on ${where}; ${served} connection${served === 1 ? '' : 's'} served`),
    onStopping: (status) => console.error(`socket-service: ${status}`),
  });
}
