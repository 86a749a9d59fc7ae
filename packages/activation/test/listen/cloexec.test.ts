import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// sd_listen_fds() marks every passed fd close-on-exec; listenFds() relies on Node doing it at
// start-up instead (libuv marks inherited fds from 0 up to the first closed one after 15, and
// systemd passes contiguous fds from 3). If a Node version stops doing so, this fails.
const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..', 'dist', 'index.js');

function childFdsAfterListenFds(count: number): Promise<{ passed: number[]; inherited: number[] }> {
  const script = `
    import { execFileSync } from 'node:child_process';
    import { listenFds } from ${JSON.stringify(dist)};
    const passed = listenFds().map((f) => f.fd);
    const inherited = execFileSync('sh', ['-c', 'ls /proc/$$/fd'], { encoding: 'utf8' }).split(/\\s+/).filter(Boolean).map(Number);
    console.log(JSON.stringify({ passed, inherited }));`;
  // sh sets LISTEN_PID to the pid node will have (exec keeps it); fds 3… are pipes from this process.
  const child = spawn('sh', ['-c', `LISTEN_PID=$$ LISTEN_FDS=${count} exec node --input-type=module -e "$0"`, script], {
    stdio: ['ignore', 'pipe', 'inherit', ...Array<'pipe'>(count).fill('pipe')],
  });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${out}`))));
  });
}

describe('passed fds and child processes', () => {
  it.each([1, 14, 40])('a child inherits none of %i passed fds', async (count) => {
    const { passed, inherited } = await childFdsAfterListenFds(count);
    expect(passed).toEqual(Array.from({ length: count }, (_, i) => 3 + i));
    expect(inherited.filter((fd) => passed.includes(fd))).toEqual([]);
  });
});
