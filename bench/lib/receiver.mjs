// A real AF_UNIX datagram receiver for the notify and journal measurements: the test suite's
// notify-receiver.py on a socket in a fresh temporary directory, started and known to listen.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './build.mjs';

const SCRIPT = path.join(ROOT, 'test', 'support', 'notify-receiver.py');
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/**
 * Starts the receiver with `args` (e.g. ['--drain'], ['--stalled', '--drain']) and waits for its
 * ready line. Resolves { address, lines, process, stop }: `lines` iterates its later stdout lines
 * (one JSON object each), `stop()` ends it and removes the directory. Throws when it does not start.
 */
export async function startReceiver(args, name = 'notify.sock') {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdnode-bench-'));
  const address = path.join(dir, name);
  const receiver = spawn(PYTHON, [SCRIPT, address, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = () => {
    receiver.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const lines = createInterface({ input: receiver.stdout })[Symbol.asyncIterator]();
    const ready = JSON.parse((await lines.next()).value ?? 'null');
    if (ready?.ready !== address) throw new Error(`receiver did not start: ${JSON.stringify(ready)}`);
    return { address, lines, process: receiver, stop };
  } catch (error) {
    stop();
    throw error;
  }
}
