// An inetd-style daemon (stdin/stdout are the connection). Reports JSON lines on stderr.
import { createHash } from 'node:crypto';
import { inetdConnection } from '../../dist/index.js';

const report = (value) => process.stderr.write(`${JSON.stringify(value)}\n`);
const mode = process.argv[2];
let connection;
try {
  connection = inetdConnection();
} catch (error) {
  report({ error: error.message, code: error.code });
  process.exit(3);
}

/** Deterministic bytes, different in every chunk, so a lost or reordered chunk changes the hash. */
function chunk(index, size) {
  const buffer = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) buffer.writeUInt32LE((index * 2654435761 + i * 40503) >>> 0, i);
  return buffer;
}

switch (mode) {
  case 'echo':
    connection.on('error', (error) => report({ handled: error.code }));
    connection.pipe(connection);
    break;
  case 'half-close': {
    // end() must reach the client as EOF while this process is still alive; the client then
    // closes its side, which lets the process finish. Without a real shutdown it would wait.
    const stuck = setTimeout(() => process.exit(7), 20_000);
    connection.on('end', () => clearTimeout(stuck));
    connection.resume();
    connection.end('bye\n');
    break;
  }
  case 'big': {
    // 32 MiB queued at once, then end(): the callback runs after the last byte left, and exiting
    // there must not lose anything.
    const hash = createHash('sha256');
    for (let i = 0; i < 32; i++) {
      const data = chunk(i, 1 << 20);
      hash.update(data);
      connection.write(data);
    }
    connection.end(() => {
      report({ sent: 32 << 20, sha256: hash.digest('hex') });
      process.exit(0);
    });
    break;
  }
  case 'reset':
  case 'reset-unhandled': {
    // Writes until the peer goes away; with 'reset' the error is listened for, without it the
    // connection just closes. Either way the process must end normally.
    if (mode === 'reset') connection.on('error', (error) => report({ handled: error.code }));
    connection.on('close', () => report({ closed: true }));
    let i = 0;
    const pump = () => {
      while (!connection.destroyed && connection.write(chunk(i++, 1 << 16)));
      if (!connection.destroyed) connection.once('drain', pump);
    };
    pump();
    break;
  }
  default:
    report({ error: `unknown mode ${mode}` });
    process.exitCode = 2;
}
