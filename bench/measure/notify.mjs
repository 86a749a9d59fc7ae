// P4: notify cost per call and native load time come from bench/measure/activation.mjs,
// which measures them against a real datagram receiver; this only runs it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BENCH } from '../lib/build.mjs';

const TIMEOUT_MS = 120_000;

/** P4: notify cost per call and native load time. */
export function measureNotify() {
  return figuresOf('activation.mjs');
}

/** P6: a journal log call next to a console.error (bench/measure/journal.mjs). */
export function measureJournal() {
  return figuresOf('journal.mjs');
}

/** Resolves to { figures } (the script's JSON) or { note } saying why there are none. */
function figuresOf(name) {
  const script = path.join(BENCH, 'measure', name);
  if (!fs.existsSync(script)) return Promise.resolve({ note: `not measured (bench/measure/${name} is missing)` });
  const args = [script, '--json'];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: TIMEOUT_MS, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) {
        resolve({ note: `not measured (bench/measure/${name} failed: ${(stderr || error.message).trim().split('\n')[0]})` });
        return;
      }
      try {
        resolve({ figures: JSON.parse(stdout.trim().split('\n').pop()) });
      } catch {
        // No JSON from this version of the script: keep its "label: value" lines.
        const lines = stdout
          .split('\n')
          .map((line) => /^([^:]+): (.+)$/.exec(line.trim()))
          .filter(Boolean);
        if (lines.length > 0) resolve({ figures: Object.fromEntries(lines.map(([, label, value]) => [label, value])) });
        else resolve({ note: `not measured (bench/measure/${name} printed no figures)` });
      }
    });
  });
}
