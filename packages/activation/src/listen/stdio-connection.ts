import { Duplex } from 'node:stream';

/** Errors that mean the peer went away; never worth crashing a daemon for. */
const PEER_GONE = new Set(['EPIPE', 'ECONNRESET', 'ENOTCONN', 'ECONNABORTED']);

/**
 * One connection as one Duplex over process.stdin and process.stdout, which are both that
 * connection in an inetd-style service. `end()` shuts the write side down only after every byte
 * was written. A peer reset becomes one 'error', or just 'close' when nobody listens for errors;
 * writes after that are dropped. `setTimeout()` works as `net.Socket`'s, over both directions.
 */
export class StdioConnection extends Duplex {
  readonly #input: NodeJS.ReadStream;
  readonly #output: NodeJS.WriteStream;
  #silence: NodeJS.Timeout | undefined;

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

  /** `'timeout'` after `ms` with nothing read or written (0 turns it off); `callback` is a once listener. */
  setTimeout(ms: number, callback?: () => void): this {
    clearTimeout(this.#silence);
    this.#silence = undefined;
    if (callback !== undefined) this.once('timeout', callback);
    if (ms > 0 && !this.destroyed) {
      this.#silence = setTimeout(() => this.emit('timeout'), ms);
      this.#silence.unref(); // as a socket's: the connection keeps the process alive, not its timer
    }
    return this;
  }

  override _read(): void {
    this.#input.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#silence?.refresh();
    this.#output.write(chunk, (error) => {
      this.#silence?.refresh();
      callback(error ?? null);
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    // stdout.end() is a real shutdown(SHUT_WR) after the last queued byte was written.
    this.#output.end((error?: Error | null) => callback(error ?? null));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#silence);
    this.#input.off('data', this.#onData);
    this.#input.pause();
    const quiet = error !== null && PEER_GONE.has((error as NodeJS.ErrnoException).code ?? '') && this.listenerCount('error') === 0;
    callback(quiet ? null : error);
  }

  #onData = (chunk: Buffer): void => {
    this.#silence?.refresh();
    if (!this.push(chunk)) this.#input.pause();
  };

  #onError = (error: Error): void => {
    this.destroy(error);
  };
}
