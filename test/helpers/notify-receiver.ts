import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Running } from './processes.js';

// Node core cannot receive on an AF_UNIX datagram socket; python3 can, in a few lines.
const RECEIVER = `
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    data = s.recv(4096)
    for line in data.decode().split("\\n"):
        if line:
            print(line, flush=True)
`;

/** A real NOTIFY_SOCKET: a datagram receiver whose messages arrive as stdout lines. */
export class NotifyReceiver {
  readonly path: string;
  readonly #dir: string;
  readonly #process: Running;

  private constructor(dir: string) {
    this.#dir = dir;
    this.path = path.join(dir, 'notify');
    this.#process = new Running('python3', ['-c', RECEIVER, this.path]);
  }

  static async start(): Promise<NotifyReceiver> {
    const receiver = new NotifyReceiver(fs.mkdtempSync(path.join(os.tmpdir(), 'sdnode-notify-')));
    if (!(await receiver.waitFor(/^bound$/m))) throw new Error(`notify receiver failed:\n${receiver.#process.stderr}`);
    return receiver;
  }

  get lines(): string[] {
    return this.#process.stdout.split('\n').filter((line) => line !== '' && line !== 'bound');
  }

  waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<boolean> {
    return this.#waitStdout(pattern, timeoutMs);
  }

  async close(): Promise<void> {
    await this.#process.stop();
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }

  async #waitStdout(pattern: RegExp, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.#process.stdout)) {
      if (!this.#process.alive || Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
  }
}
