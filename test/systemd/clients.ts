// Test clients for the daemons: read a whole answer, hold a connection open, or storm a port.
import * as net from 'node:net';

export interface Answer {
  data: string;
  error?: string;
}

/** Connects, reads until the server closes, then closes (default) or keeps its own side open. */
export function fetchAnswer(port: number, timeoutMs = 30_000): Promise<Answer> {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => finish(`no end after ${timeoutMs} ms`), timeoutMs);
    function finish(error?: string): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(error === undefined ? { data } : { data, error });
    }
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('end', () => finish());
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
  });
}

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

/** A connection that did not get the whole answer: what it got, and when it ran (Date.now() ms). */
export interface StormFailure {
  what: string;
  from: number;
  to: number;
}

export interface StormFigures {
  attempted: number;
  ok: number;
  refused: number;
  truncated: number;
  failures: StormFailure[];
}

export interface StormOptions {
  port: number;
  expected: string;
  /** At least this many connections... */
  connections: number;
  concurrency: number;
  /** ...and until this promise settles (the disruptions); bounded by maxConnections. */
  until?: Promise<unknown>;
  maxConnections: number;
}

/**
 * Many short connections, `concurrency` at a time. Each must read exactly `expected`:
 * ECONNREFUSED counts as refused, anything else short of it (less data, reset, timeout) as truncated.
 */
export async function storm(options: StormOptions): Promise<StormFigures> {
  const figures: StormFigures = { attempted: 0, ok: 0, refused: 0, truncated: 0, failures: [] };
  let disruptionsDone = options.until === undefined;
  void options.until?.finally(() => (disruptionsDone = true));
  const more = (): boolean => figures.attempted < options.maxConnections && (figures.attempted < options.connections || !disruptionsDone);
  async function worker(): Promise<void> {
    while (more()) {
      figures.attempted++;
      const from = Date.now();
      const answer = await fetchAnswer(options.port, 30_000);
      if (answer.error === 'ECONNREFUSED') figures.refused++;
      else if (answer.error === undefined && answer.data === options.expected) figures.ok++;
      else figures.truncated++;
      if (answer.error !== undefined || answer.data !== options.expected) {
        figures.failures.push({ what: `${answer.error ?? 'eof'} after ${JSON.stringify(answer.data)}`, from, to: Date.now() });
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return figures;
}
