import path from 'node:path';
import { REPO_ROOT, type Mode } from './paths.js';
import { freePort } from './ports.js';
import { Running, cleanEnv } from './processes.js';
import { requireTools } from './system-tools.js';

export interface Launched {
  process: Running;
  port: number;
}

/** Starts scripts/launch-<mode>.sh on a free port; resolves once it listens. */
export async function launch(mode: Mode, options: { env?: NodeJS.ProcessEnv; args?: string[] } = {}): Promise<Launched> {
  requireTools('systemd-socket-activate');
  const script = path.join(REPO_ROOT, 'scripts', `launch-${mode}.sh`);
  const port = await freePort();
  const started = new Running('bash', [script, ...(options.args ?? [])], { env: cleanEnv({ ...options.env, PORT: String(port) }) });
  if (await started.waitForStderr(/^Listening on 127\.0\.0\.1:\d+ as 3\.$/m, 60_000)) return { process: started, port };
  await started.stop();
  throw new Error(`launch-${mode}.sh did not listen on ${port}:\n${started.stderr}`);
}
