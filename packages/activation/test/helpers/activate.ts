import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTools } from './system-tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const packageRoot = path.resolve(here, '../..');
/** Fixtures run as plain Node programs against the built package. */
export const libraryEntry = path.join(packageRoot, 'dist/index.js');
export const fixture = (name: string): string => path.join(here, name);

export function assertBuilt(): void {
  if (!fs.existsSync(libraryEntry)) {
    throw new Error(`${libraryEntry} is missing: build first (pnpm --filter @sdnode/activation run build)`);
  }
}

export const PORT_MIN = 23000;
export const PORT_MAX = 25999;
/** A port in the test range, leaving room for port + 1 (tests that listen on two). */
export const randomPort = (): number => PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN));
export const isRoot = process.getuid?.() === 0;

export interface Activated {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  kill: () => void;
}

/**
 * Starts `systemd-socket-activate ARGS node FIXTURE FIXTURE_ARGS` and waits until every `-l` address is
 * listening. `args(port)` builds the options around a port from the test range; on EADDRINUSE
 * another port is tried.
 */
export async function activate(
  args: (port: number) => string[],
  program: string[],
  options: { env?: NodeJS.ProcessEnv; attempts?: number } = {},
): Promise<Activated> {
  requireTools('systemd-socket-activate');
  const attempts = options.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    const port = randomPort();
    const argv = args(port);
    const listens = argv.filter((a) => a === '-l' || a.startsWith('--listen')).length;
    const started = start(['systemd-socket-activate', ...argv, ...program], port, options.env);
    const outcome = await Promise.race([
      waitFor(() => (started.stderr().match(/Listening on .* as \d+\./g) ?? []).length >= listens, 20_000).then(() => 'ready' as const),
      started.exited.then(() => 'exited' as const),
    ]);
    if (outcome === 'ready') return started;
    if (/already in use/i.test(started.stderr()) && attempt < attempts) continue;
    throw new Error(`systemd-socket-activate did not start: ${started.stderr()}`);
  }
}

/** Spawns a command with piped output, collecting it. */
export function start(argv: string[], port = 0, env: NodeJS.ProcessEnv = {}): Activated {
  const [command, ...rest] = argv;
  const child = spawn(command!, rest, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  let ended = false;
  void exited.then(() => (ended = true));
  return {
    child,
    port,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: () => {
      if (!ended && child.pid !== undefined) child.kill('SIGKILL');
    },
  };
}

/** Polls `condition` every 20 ms until true; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The JSON lines a fixture printed (stdout or stderr text). */
export function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{') || l.startsWith('['))
    .map((l) => JSON.parse(l) as unknown);
}

/** Waits for the first JSON line a fixture printed. */
export async function firstJson(read: () => string, timeoutMs = 20_000): Promise<any> {
  await waitFor(() => jsonLines(read()).length > 0, timeoutMs, 'JSON output from the fixture');
  return jsonLines(read())[0];
}

/** Connects to 127.0.0.1:port (or a unix path), sends `data`, half-closes, and returns all bytes received. */
export function exchange(target: { port: number; host?: string } | { path: string }, data: Buffer | string = ''): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect('path' in target ? { path: target.path } : { port: target.port, host: target.host ?? '127.0.0.1' });
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.end(data));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.setTimeout(30_000, () => socket.destroy(new Error('exchange timed out')));
  });
}

/**
 * Wakes a socket Node cannot talk to (unix datagram / seqpacket, abstract names) with python3:
 * systemd-socket-activate starts the program at the first activity on any of its sockets.
 */
export function poke(kind: 'dgram' | 'seqpacket' | 'stream', address: string): void {
  requireTools('python3');
  const type = { dgram: 'SOCK_DGRAM', seqpacket: 'SOCK_SEQPACKET', stream: 'SOCK_STREAM' }[kind];
  const target = address.startsWith('@') ? `'\\0' + ${JSON.stringify(address.slice(1))}` : JSON.stringify(address);
  const script =
    `import socket; s = socket.socket(socket.AF_UNIX, socket.${type}); a = ${target}\n` +
    (kind === 'dgram' ? 's.sendto(b"x", a)\n' : 's.connect(a); s.send(b"x")\n');
  const result = spawnSync('python3', ['-c', script], { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) throw new Error(`poke ${kind} ${address} failed: ${result.stderr}`);
}

/** A unique temporary directory for unix socket paths. */
export function tempDir(): string {
  return fs.mkdtempSync('/tmp/sdnode-test-');
}

/** Opens and drops a TCP connection to wake systemd-socket-activate; the outcome of the connection does not matter. */
export function knock(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.on('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', () => resolve());
  });
}
