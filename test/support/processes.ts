import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { Wakeups } from './wait.js';

/**
 * The test runner's environment without what would change how the daemons behave: a runner that
 * is itself a systemd service has NOTIFY_SOCKET, WATCHDOG_* or LISTEN_* of its own.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    'NOTIFY_SOCKET',
    'WATCHDOG_USEC',
    'WATCHDOG_PID',
    'LISTEN_PID',
    'LISTEN_FDS',
    'LISTEN_FDNAMES',
    'IDLE_TIMEOUT',
    'PORT',
    'LISTEN',
  ]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process started by a test: its output as it comes, its exit, and a way to stop it by pid. */
export class Running {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  exit: Exit | undefined;
  readonly exited: Promise<Exit>;
  readonly #output = new Wakeups();

  constructor(command: string, args: string[], options: SpawnOptions = {}) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(), ...options });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.#append('stdout', chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.#append('stderr', chunk));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        this.#output.wake();
        resolve(this.exit);
      });
    });
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('process did not start');
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  stderrLines(prefix = ''): string[] {
    return this.stderr.split('\n').filter((line) => line !== '' && line.startsWith(prefix));
  }

  /** Resolves once stderr matches (true), or the process has exited without it (false); bounded by timeoutMs. */
  waitForStderr(pattern: RegExp, timeoutMs = 20_000): Promise<boolean> {
    return this.waitForOutput(() => pattern.test(this.stderr), timeoutMs);
  }

  /** Resolves with the exit, or rejects after timeoutMs (the process is then left to stop()). */
  async waitForExit(timeoutMs = 20_000): Promise<Exit> {
    if (!(await this.waitForOutput(() => false, timeoutMs)) && this.exit === undefined) {
      throw new Error(`pid ${this.pid} still running after ${timeoutMs} ms; stderr:\n${this.stderr}`);
    }
    return this.exited;
  }

  /**
   * Through the child's handle, not process.kill(pid): once the process has exited (its output may
   * still be closing) the handle is gone and nothing is sent, so a reused pid is never hit.
   */
  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not gone after a while. */
  async stop(): Promise<Exit> {
    if (!this.alive) return this.exited;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), 10_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Resolves once `done()` holds (true), or the process has exited without it (false); bounded by
   * timeoutMs. `done` is checked whenever output arrives, not polled.
   */
  async waitForOutput(done: () => boolean, timeoutMs = 20_000): Promise<boolean> {
    await this.#output.until(() => done() || this.exit !== undefined, timeoutMs);
    return done();
  }

  #append(stream: 'stdout' | 'stderr', chunk: string): void {
    this[stream] += chunk;
    this.#output.wake();
  }
}

const running = new Set<Running>();

/** Stops every process the test file started and that is still running (for afterEach/afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((process) => process.stop()));
}
