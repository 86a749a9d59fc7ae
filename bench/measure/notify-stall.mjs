// P4, stalled receiver: the event-loop delay notify causes against a receiver that never reads
// comes from bench/measure/stalled-receiver.mjs; this only runs it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { BENCH } from '../lib/build.mjs';

const TIMEOUT_MS = 180_000;

/** Resolves to { figures } (the script's JSON) or { note } saying why there are none. */
export function measureNotifyStall() {
  const script = path.join(BENCH, 'measure', 'stalled-receiver.mjs');
  return new Promise((resolve) => {
    execFile(process.execPath, [script, '--json'], { timeout: TIMEOUT_MS, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) resolve({ note: `stalled receiver not measured (${(stderr || error.message).trim().split('\n')[0]})` });
      else resolve({ figures: JSON.parse(stdout.trim().split('\n').pop()) });
    });
  });
}
