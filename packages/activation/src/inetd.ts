import { fstatSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { SystemdError } from './errors.js';
import { fdInfo } from './fd-info.js';

/** Errors that mean the peer went away; never worth crashing a daemon for. */
const PEER_GONE = new Set(['EPIPE', 'ECONNRESET', 'ENOTCONN', 'ECONNABORTED']);

let connection: InetdConnection | undefined;

/**
 * The connection of an inetd-style service (`StandardInput=socket`, `systemd-socket-activate --inetd`)
 * as one Duplex over process.stdin and process.stdout (both are that connection; wrapping fd 0
 * again would break process.stdin). `end()` shuts the write side down only after every byte was
 * written. A peer reset becomes one 'error' on the duplex, or just 'close' when nobody listens for
 * errors; writes after that are dropped.
 */
export function inetdConnection(): Duplex {
  if (connection !== undefined) return connection;
  const info = fdInfo(0);
  if (info.kind !== 'socket' || info.type === 'dgram' || info.listening === true) {
    const what = process.getBuiltinModule('node:tty').isatty(0)
      ? 'a terminal'
      : info.kind === 'socket'
        ? info.listening === true
          ? 'a listening socket'
          : 'a datagram socket'
        : info.kind === 'fifo'
          ? 'a pipe'
          : info.kind === 'file'
            ? 'a file'
            : 'not a socket';
    throw new SystemdError(
      `stdin is ${what}, not a connected socket: run with systemd-socket-activate --accept --inetd or a unit with StandardInput=socket`,
      'ENOTSOCK',
      { variable: 'fd', value: '0' },
    );
  }
  if (!sameFile(0, 1)) {
    throw new SystemdError(
      'stdout is not the connection stdin is: replies would not reach the client; leave StandardOutput= at its default (inherit) or set it to socket',
      'EINVAL',
      { variable: 'fd', value: '1' },
    );
  }
  connection = new InetdConnection(process.stdin, process.stdout);
  return connection;
}

function sameFile(a: number, b: number): boolean {
  try {
    const [x, y] = [fstatSync(a, { bigint: true }), fstatSync(b, { bigint: true })];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

class InetdConnection extends Duplex {
  readonly #input: NodeJS.ReadStream;
  readonly #output: NodeJS.WriteStream;

  constructor(input: NodeJS.ReadStream, output: NodeJS.WriteStream) {
    super({ allowHalfOpen: true });
    this.#input = input;
    this.#output = output;
    input.on('data', this.#onData);
    input.pause(); // read only when the duplex is read
    input.once('end', () => this.push(null));
    input.on('error', this.#onError);
    output.on('error', this.#onError);
  }

  override _read(): void {
    this.#input.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#output.write(chunk, (error) => callback(error ?? null));
  }

  override _final(callback: (error?: Error | null) => void): void {
    // stdout.end() is a real shutdown(SHUT_WR) after the last queued byte was written.
    this.#output.end((error?: Error | null) => callback(error ?? null));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#input.off('data', this.#onData);
    this.#input.pause();
    const quiet = error !== null && PEER_GONE.has((error as NodeJS.ErrnoException).code ?? '') && this.listenerCount('error') === 0;
    callback(quiet ? null : error);
  }

  #onData = (chunk: Buffer): void => {
    if (!this.push(chunk)) this.#input.pause();
  };

  #onError = (error: Error): void => {
    this.destroy(error);
  };
}
