import type { Duplex } from 'node:stream';
import { inetdConnection } from '@sdnode/activation';

let connection: Duplex;
try {
  connection = inetdConnection();
} catch (err) {
  console.error(`socket-service-inet: ${(err as Error).message}`);
  process.exit(1);
}

// A client that resets loses its reply; that is not this service failing.
connection.on('error', (err: NodeJS.ErrnoException) => console.error(`socket-service-inet: client gone: ${err.code}`));
// Nor may a client that never reads or never closes keep this process forever.
setTimeout(() => connection.destroy(), 30_000).unref();
// Read (and drop) what the client sends so that its end of the conversation is seen.
connection.resume();
// end() shuts the connection down once every byte is written: nothing is lost by exiting.
connection.end('This socket was passed on stdin/stdout\n');
