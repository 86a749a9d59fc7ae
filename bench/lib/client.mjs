// The client side of every measurement: connect, read the whole answer, time it.
import net from 'node:net';

const CONNECTION_TIMEOUT_MS = 15_000;

/** One connection: ms from connect() to the first byte and to the end of the answer. */
export function fetchOnce(port, expected) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    let firstByte;
    let text = '';
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.setEncoding('utf8');
    socket.setTimeout(CONNECTION_TIMEOUT_MS, () => socket.destroy(new Error(`no answer on port ${port}`)));
    socket.on('data', (chunk) => {
      firstByte ??= process.hrtime.bigint();
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const end = process.hrtime.bigint();
      if (expected !== undefined && text !== expected) {
        reject(new Error(`port ${port} answered ${JSON.stringify(text)}, expected ${JSON.stringify(expected)}`));
        return;
      }
      resolve({ firstByteMs: ms(firstByte - start), totalMs: ms(end - start) });
    });
  });
}

/** `count` connections, `concurrency` at a time; returns connections per second. */
export async function load(port, { count, concurrency, expected }) {
  let started = 0;
  const begin = process.hrtime.bigint();
  async function worker() {
    while (started < count) {
      started++;
      await fetchOnce(port, expected);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return count / (ms(process.hrtime.bigint() - begin) / 1000);
}

function ms(nanoseconds) {
  return Number(nanoseconds) / 1e6;
}
