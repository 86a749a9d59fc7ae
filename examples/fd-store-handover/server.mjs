// A daemon that keeps its clients connected across `systemctl restart`: before exiting it hands
// every open connection to systemd's file descriptor store, and the next instance takes them back.
// Each chunk a client sends is answered with "<pid>: <chunk>", so a client sees the pid change
// while its connection stays the same.
//
// In an application the import is `from '@sdnode/activation'`; the example runs from the repository.
import net from 'node:net';
import { listen, notify, restoreConnections, storeConnections } from '../../packages/activation/dist/index.js';

const connections = new Set();

function serve(socket) {
  connections.add(socket);
  socket.on('close', () => connections.delete(socket));
  socket.on('error', () => socket.destroy()); // a client that resets must not take the daemon down
  socket.on('data', (chunk) => socket.write(`${process.pid}: ${chunk}`));
}

const restored = restoreConnections({ name: 'handover' });
restored.forEach(serve);

const server = net.createServer(serve);
await listen(server, { name: 'listener', fallback: { port: 7010, host: '127.0.0.1' } });
const taken = restored.length === 1 ? '1 connection' : `${restored.length} connections`;
notify.ready(`Serving; ${taken} taken over from the previous instance`);

process.once('SIGTERM', async () => {
  notify.stopping(`Handing ${connections.size} connections to the service manager`);
  server.close(); // new clients wait in the socket unit's backlog for the next instance
  try {
    await storeConnections([...connections], { name: 'handover' });
    process.exit(0);
  } catch (error) {
    console.error(`handover failed, ${connections.size} clients will be disconnected: ${error.message}`);
    process.exit(1);
  }
});
