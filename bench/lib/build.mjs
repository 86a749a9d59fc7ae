// Bench-only builds into bench/out/: the C contenders and the peak-RSS wrapper.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ROOT = path.dirname(BENCH);
export const OUT = path.join(BENCH, 'out');

/** gcc -O2 source → bench/out/name; returns the binary's path. */
export function compileC(source, name) {
  fs.mkdirSync(OUT, { recursive: true });
  const binary = path.join(OUT, name);
  execFileSync('gcc', ['-O2', '-Wall', '-o', binary, source], { stdio: ['ignore', 'ignore', 'inherit'] });
  return binary;
}
