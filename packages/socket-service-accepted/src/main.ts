import type net from 'node:net';
import { acceptedConnection } from '@sdnode/activation';

let connection: net.Socket;
try {
  connection = acceptedConnection();
} catch (err) {
  console.error(`socket-service-accepted: ${(err as Error).message}`);
  process.exit(1);
}

// A client that resets loses its reply; that is not this service failing.
connection.on('error', (err: NodeJS.ErrnoException) => console.error(`socket-service-accepted: client gone: ${err.code}`));
// Nor may a client that never reads or never closes keep this process forever.
connection.setTimeout(30_000, () => connection.destroy());
// Read (and drop) what the client sends so that its end of the conversation is seen.
connection.resume();
connection.end('This socket was already accepted\n');
// The process exits by itself once both sides have closed.
