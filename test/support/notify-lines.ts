import { startReceiver, type Receiver } from './notify-receiver.js';

/**
 * A real NOTIFY_SOCKET for the daemon tests: the library tests' receiver (an AF_UNIX datagram socket
 * with SO_PASSCRED, as systemd's), read as the KEY=VALUE lines of the datagrams received so far.
 */
export class NotifyReceiver {
  readonly lines: string[] = [];
  readonly #receiver: Receiver;

  private constructor(receiver: Receiver) {
    this.#receiver = receiver;
  }

  static async start(): Promise<NotifyReceiver> {
    return new NotifyReceiver(await startReceiver());
  }

  get path(): string {
    return this.#receiver.address;
  }

  /** Reads datagrams until a line matches `pattern`; false when none did within the time. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.lines.some((line) => pattern.test(line))) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      try {
        const datagram = await this.#receiver.next(left);
        this.lines.push(...datagram.text.split('\n').filter((line) => line !== ''));
      } catch {
        return false; // no datagram in time, or the receiver is gone
      }
    }
    return true;
  }

  close(): Promise<void> {
    return this.#receiver.stop();
  }
}
