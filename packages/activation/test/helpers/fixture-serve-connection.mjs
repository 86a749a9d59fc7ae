// A per-connection daemon served by serveConnection(): `accepted` (fd 3) or `inetd` (stdin/stdout),
// answering `reply` (a line, then end) or `echo` (everything back until the client ends), with the
// policy options given as JSON. Reports JSON lines on stderr.
import { acceptedConnection, inetdConnection, serveConnection } from '../../dist/index.js';

const [mode, answer, options = '{}'] = process.argv.slice(2);
const report = (value) => process.stderr.write(`${JSON.stringify(value)}\n`);
const handlers = {
  reply: (connection) => connection.end('hello\n'),
  echo: (connection) => connection.pipe(connection),
};
const connection = mode === 'inetd' ? inetdConnection() : acceptedConnection();
serveConnection(connection, handlers[answer], {
  ...JSON.parse(options),
  onClosed: () => {
    report({ closed: true, readableEnded: connection.readableEnded });
    process.exit(0);
  },
});
