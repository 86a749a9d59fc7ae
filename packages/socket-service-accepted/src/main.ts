import { acceptedConnection, serveConnection } from '@sdnode/activation';
import { createLogger } from '@sdnode/activation/journal';

const log = createLogger('socket-service-accepted');
try {
  // The library's connection policy: a client silent for 30 s is dropped, and so is one still
  // sending 5 s after the reply; a reset costs nothing; the process exits once the connection closed.
  serveConnection(acceptedConnection(), (connection) => connection.end('This socket was already accepted\n'));
} catch (err) {
  log.error((err as Error).message);
  process.exitCode = 1;
}
