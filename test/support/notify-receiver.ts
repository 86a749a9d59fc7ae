import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { requireTools } from './system-tools.js';
import { Wakeups } from './wait.js';

export const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'notify-receiver.py');

export interface PassedFd {
  type: 'socket' | 'fifo' | 'file' | 'other';
  family?: string;
  sotype?: string;
  address?: string;
  port?: number;
  path?: string;
  listening?: boolean;
  /** regular files (a memfd): the content, base64, and F_GET_SEALS */
  content?: string;
  seals?: number;
}

export interface Datagram {
  /** exact bytes received */
  data: Buffer;
  text: string;
  /** from SCM_CREDENTIALS, filled in by the kernel */
  pid: number;
  uid: number;
  gid: number;
  fds: PassedFd[];
}

export interface Receiver {
  /** what NOTIFY_SOCKET must hold to reach this receiver */
  readonly address: string;
  readonly pid: number;
  /** the next datagram not yet taken, waiting at most timeoutMs */
  next(timeoutMs?: number): Promise<Datagram>;
  /** the next JSON line of --drain mode */
  nextLine(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Takes datagrams up to and including the one whose bytes are `marker`, and returns them as text. */
  until(marker: string, limit?: number): Promise<string[]>;
  /** The datagrams that have arrived and were not taken yet, without waiting. */
  arrived(): Datagram[];
  /** Starts reading (a receiver started with `--stalled`). */
  resume(): void;
  stop(): Promise<void>;
}

/**
 * Starts notify-receiver.py on a fresh path (or an abstract name with
 * `abstract: true`) and resolves once it is bound.
 */
export async function startReceiver(options: { abstract?: boolean; args?: string[] } = {}): Promise<Receiver> {
  requireTools('python3');
  const dir = mkdtempSync(path.join(tmpdir(), 'sdnode-notify-'));
  const address = options.abstract ? `@sdnode-test-${process.pid}-${Math.random().toString(36).slice(2)}` : path.join(dir, 'notify.sock');
  const child: ChildProcess = spawn(python, [script, address, ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  const arrivals = new Wakeups();
  let exited = false;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
    arrivals.wake();
  });
  child.on('exit', () => {
    exited = true;
    arrivals.wake();
  });

  async function nextLine(timeoutMs = 10_000): Promise<Record<string, unknown>> {
    await arrivals.until(() => lines.length > 0 || exited, timeoutMs);
    if (lines.length > 0) return lines.shift()!;
    throw new Error(exited ? 'notify-receiver.py exited' : `no datagram within ${timeoutMs} ms`);
  }

  const ready = await nextLine(15_000);
  if (ready.ready !== address) throw new Error(`unexpected first line ${JSON.stringify(ready)}`);

  const datagram = (line: Record<string, unknown>): Datagram => ({
    ...(line as unknown as Datagram),
    data: Buffer.from(line.data as string, 'base64'),
  });
  return {
    address,
    pid: child.pid!,
    nextLine,
    async next(timeoutMs) {
      return datagram(await nextLine(timeoutMs));
    },
    async until(marker, limit = 1000) {
      const seen: string[] = [];
      while (seen.length < limit) {
        const text = datagram(await nextLine()).data.toString('utf8');
        seen.push(text);
        if (text === marker) return seen;
      }
      throw new Error(`marker ${JSON.stringify(marker)} not among ${limit} datagrams: ${JSON.stringify(seen)}`);
    },
    arrived: () => lines.map(datagram),
    resume() {
      child.kill('SIGUSR2');
    },
    async stop() {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
