import net from 'node:net';

/**
 * A client that sends one byte every `everyMs` and never reads or closes: each byte resets a
 * silence timer (`socket.setTimeout`), so only an absolute bound can end its connection.
 * `gone` resolves once the server has closed the connection (a write then fails) or it reset it.
 */
export class Trickler {
  sent = 0;
  readonly gone: Promise<string>;
  #timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly socket: net.Socket,
    everyMs: number,
  ) {
    this.gone = new Promise((resolve) => {
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      socket.once('close', () => resolve('close'));
    });
    void this.gone.then(() => clearInterval(this.#timer));
    this.#timer = setInterval(() => {
      if (!socket.destroyed) socket.write('.', () => this.sent++);
    }, everyMs);
  }

  static open(port: number, options: { everyMs?: number; host?: string } = {}): Promise<Trickler> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: options.host ?? '127.0.0.1' });
      socket.pause(); // never reads: the server's reply stays in our receive buffer
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const trickler = new Trickler(socket, options.everyMs ?? 1000);
        socket.write('.', () => trickler.sent++);
        resolve(trickler);
      });
    });
  }

  get trickling(): boolean {
    return !this.socket.destroyed;
  }

  destroy(): void {
    clearInterval(this.#timer);
    this.socket.destroy();
  }
}
