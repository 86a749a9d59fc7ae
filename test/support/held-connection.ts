import * as net from 'node:net';

/** A connection that reads the whole answer but does not close its side until told to. */
export class HeldConnection {
  data = '';
  ended = false;
  closed = false;
  error: string | undefined;
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (this.data += d));
    socket.on('end', () => (this.ended = true));
    socket.on('close', () => (this.closed = true));
    socket.on('error', (err: NodeJS.ErrnoException) => (this.error = err.code ?? err.message));
  }

  static open(port: number): Promise<HeldConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(new HeldConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** The client's local port: the instance name of an Accept=yes service contains it. */
  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  close(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
