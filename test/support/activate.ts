import { spawnSync } from 'node:child_process';
import { freePort } from './ports.js';
import { Running } from './processes.js';
import { requireTools } from './system-tools.js';
import { waitFor } from './wait.js';

/** A process started by `activate()` or `start()`, with its output read through functions. */
export interface Activated {
  process: Running;
  child: Running['child'];
  port: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal name) once the process has ended (not waiting for its output to close). */
  exited: Promise<number | string>;
  /** SIGKILL, if it is still running. */
  kill: () => void;
}

/** The `-l` option of systemd-socket-activate (and of sdnode activate) for a loopback port. */
export const loopback = (port: number): string[] => ['-l', `127.0.0.1:${port}`];

/**
 * Starts `systemd-socket-activate ARGS PROGRAM` and waits until every `-l` address is listening.
 * `args(port)` builds the options around a free port (`freePort()`).
 */
export async function activate(
  args: (port: number) => string[],
  program: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Activated> {
  requireTools('systemd-socket-activate');
  const port = await freePort();
  const argv = args(port);
  const listens = argv.filter((a) => a === '-l' || a.startsWith('--listen')).length;
  const started = start(['systemd-socket-activate', ...argv, ...program], port, options.env, options.cwd);
  const outcome = await Promise.race([
    waitFor(
      'systemd-socket-activate to listen',
      () => (started.stderr().match(/Listening on .* as \d+\./g) ?? []).length >= listens,
      60_000,
    ).then(() => 'ready' as const),
    started.exited.then(() => 'exited' as const),
  ]);
  if (outcome === 'ready') return started;
  throw new Error(`systemd-socket-activate did not start on ${port}: ${started.stderr()}`);
}

/** Spawns a command with piped output and only PATH and HOME (plus `env`) in its environment. */
export function start(argv: string[], port = 0, env: NodeJS.ProcessEnv = {}, cwd?: string): Activated {
  const [command, ...rest] = argv;
  const running = new Running(command!, rest, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, ...(cwd ? { cwd } : {}) });
  // 'exit', not Running's 'close': a child of systemd-socket-activate -a may hold the output open.
  const exited = new Promise<number | string>((resolve) => {
    running.child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  let ended = false;
  void exited.then(() => (ended = true));
  return {
    process: running,
    child: running.child,
    port,
    stdout: () => running.stdout,
    stderr: () => running.stderr,
    exited,
    kill: () => {
      if (!ended && running.child.pid !== undefined) running.child.kill('SIGKILL');
    },
  };
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
