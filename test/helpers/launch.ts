import path from 'node:path';
import { requireTools } from '../../packages/activation/test/helpers/system-tools.js';
import { REPO_ROOT, Running, cleanEnv, randomPort } from './processes.js';

export type Mode = 'socket-service' | 'socket-service-accepted' | 'socket-service-inet';

export interface Launched {
  process: Running;
  port: number;
}

/** Starts scripts/launch-<mode>.sh on a port of the tests' range; resolves once it listens. */
export function launch(mode: Mode, options: { env?: NodeJS.ProcessEnv; args?: string[] } = {}): Promise<Launched> {
  const script = path.join(REPO_ROOT, 'scripts', `launch-${mode}.sh`);
  return listening(
    (port) => new Running('bash', [script, ...(options.args ?? [])], { env: cleanEnv({ ...options.env, PORT: String(port) }) }),
    `launch-${mode}.sh`,
  );
}

/** Runs systemd-socket-activate itself (no launch script) with the given options and command. */
export function activate(options: string[], command: string[]): Promise<Launched> {
  return listening(
    (port) => new Running('systemd-socket-activate', [...options, '-l', `127.0.0.1:${port}`, ...command]),
    'systemd-socket-activate',
  );
}

/** Waits until systemd-socket-activate listens; a port that is taken is replaced by another. */
async function listening(start: (port: number) => Running, what: string): Promise<Launched> {
  requireTools('systemd-socket-activate');
  for (let attempt = 1; ; attempt++) {
    const port = randomPort();
    const started = start(port);
    if (await started.waitForStderr(/^Listening on 127\.0\.0\.1:\d+ as 3\.$/m, 60_000)) return { process: started, port };
    await started.stop();
    if (!/Address already in use/.test(started.stderr) || attempt === 10) {
      throw new Error(`${what} did not listen on ${port}:\n${started.stderr}`);
    }
  }
}

/** The daemon's built entry point, for running it without any launcher. */
export function daemonMain(mode: Mode): string {
  return path.join(REPO_ROOT, 'packages', mode, 'dist', 'main.js');
}
