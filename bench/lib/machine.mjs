// Where the numbers were taken.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export function machine() {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  let launcher = 'unknown';
  try {
    launcher = execFileSync('systemd-socket-activate', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    // reported as unknown
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    node: process.version,
    cpu,
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    kernel: `${os.type()} ${os.release()}`,
    launcher,
  };
}
