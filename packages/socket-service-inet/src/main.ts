import { inetdConnection, serveConnection } from '@sdnode/activation';
import { createLogger } from '@sdnode/activation/journal';

const log = createLogger('socket-service-inet');
try {
  // end() shuts the connection down once every byte is written: nothing is lost by exiting.
  serveConnection(inetdConnection(), (connection) => connection.end('This socket was passed on stdin/stdout\n'));
} catch (err) {
  log.error((err as Error).message);
  process.exitCode = 1;
}
