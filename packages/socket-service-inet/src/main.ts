import { inetdConnection, serveConnection } from '@sdnode/activation';

try {
  // end() shuts the connection down once every byte is written: nothing is lost by exiting.
  serveConnection(inetdConnection(), (connection) => connection.end('This socket was passed on stdin/stdout\n'));
} catch (err) {
  console.error(`socket-service-inet: ${(err as Error).message}`);
  process.exit(1);
}
