// Runs a program under systemd-socket-activate on a loopback port, the way the
// launch scripts do, and knows when the launcher is listening (it says so on stderr).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './build.mjs';
import { pickPort } from './ports.mjs';

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

// What systemd-socket-activate itself says about every connection, and sdnode's timestamped event lines.
const LAUNCHER_CHATTER = /^(Listening on|Communication attempt|Connection from|Spawned|Execing|Child \d+ died|\d\d:\d\d:\d\d\.\d{3} )/;
export const SDNODE = path.join(ROOT, 'packages/cli/dist/main.js');
// Time for a failing program's last words to arrive through the pipe.
const EXPLAIN_WAIT_MS = 200;

// Whatever is still running when the benchmark ends (or is interrupted) goes with it.
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * @param {string[]} modeArgs launcher options for the mode: [], ['-a'] or ['-a', '--inetd']
 * @param {string[]} command the program and its arguments
 * @param {Record<string,string>} env variables passed through with -E (the launcher rebuilds the environment)
 */
export function startActivated(modeArgs, command, env = {}) {
  return startLauncher(
    (port) => ['systemd-socket-activate', '-l', `127.0.0.1:${port}`, ...modeArgs, ...passed(env), ...command],
    /^Listening on /m,
  );
}

/**
 * The same, under `sdnode activate` (packages/cli), which holds the socket instead of exec'ing away.
 * sdnode passes its environment on, systemd-socket-activate only TERM, PATH, USER and HOME: sdnode
 * gets just those, so that both daemons start in the same environment (a variable such as
 * NODE_EXTRA_CA_CERTS alone costs Node hundreds of milliseconds at start-up).
 */
export function startUnderSdnode(modeArgs, command, env = {}) {
  const launcherEnv = Object.fromEntries(
    ['TERM', 'PATH', 'USER', 'HOME'].filter((name) => name in process.env).map((name) => [name, process.env[name]]),
  );
  return startLauncher(
    (port) => [process.execPath, SDNODE, 'activate', '-l', `127.0.0.1:${port}`, ...modeArgs, ...passed(env), '--', ...command],
    / listening on /,
    launcherEnv,
  );
}

const passed = (env) => Object.entries(env).flatMap(([name, value]) => ['-E', `${name}=${value}`]);

async function startLauncher(argv, readyPattern, env = process.env) {
  let lastError;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await pickPort();
    const [file, ...args] = argv(port);
    try {
      return await start(file, args, env, port, readyPattern);
    } catch (error) {
      lastError = error;
      if (!/Address already in use/.test(error.message)) throw error;
    }
  }
  throw lastError;
}

/** Runs an ordinary server that binds PORT itself and prints "Listening on" to stderr. */
export async function startBound(command, env = {}) {
  let lastError;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await pickPort();
    try {
      return await start(command[0], command.slice(1), { ...process.env, ...env, PORT: String(port) }, port, /^Listening on /m);
    } catch (error) {
      lastError = error;
      if (!/EADDRINUSE|Address already in use/.test(error.message)) throw error;
    }
  }
  throw lastError;
}

function start(file, args, env, port, readyPattern) {
  const child = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const handle = {
    child,
    pid: child.pid,
    port,
    exited,
    stderr: () => stderr,
    /**
     * The error, with what the program wrote to stderr about it since offset `since`
     * (a former `stderr().length`): its last error line, else its last line.
     */
    async explain(error, since = 0) {
      await new Promise((resolve) => setTimeout(resolve, EXPLAIN_WAIT_MS));
      const own = stderr
        .slice(since)
        .split('\n')
        .filter((line) => line.trim() && !LAUNCHER_CHATTER.test(line));
      const line = own.findLast((l) => /error/i.test(l)) ?? own.at(-1);
      return line ? new Error(`${error.message} (stderr: ${line.trim()})`) : error;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} not listening after ${READY_TIMEOUT_MS} ms: ${stderr}`));
    }, READY_TIMEOUT_MS);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (readyPattern.test(stderr)) {
        clearTimeout(timer);
        resolve(handle);
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${file} ${args.join(' ')} exited (${code ?? signal}) before listening: ${stderr.trim()}`));
    });
  });
}
