// The free-port helper: a port it hands out is reserved across processes until its holder exits,
// and is one nothing listens on.
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort, PORT_RANGE } from './ports.js';

const run = promisify(execFile);
const HELPER = path.join(import.meta.dirname, 'free-port.mjs');

/** Whether another holder could take the reservation of `port` now. */
function reservable(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
    probe.listen({ path: `\0sdnode-port-${port}` }, () => probe.close(() => resolve(true)));
  });
}

describe('freePort', () => {
  it('hands out ports of the range that nothing listens on, consecutive ones with a count', async () => {
    const first = await freePort(3);
    expect(first).toBeGreaterThanOrEqual(PORT_RANGE.first);
    expect(first + 2).toBeLessThanOrEqual(PORT_RANGE.last);
    for (const port of [first, first + 1, first + 2]) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reserves each port for the process that took it, until that process exits', async () => {
    const script = `import { freePort } from ${JSON.stringify(HELPER)}; const ports = []; for (let i = 0; i < 20; i++) ports.push(await freePort()); console.log(JSON.stringify(ports));`;
    const child = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
    const theirs = JSON.parse(child.stdout) as number[];
    expect(new Set(theirs).size).toBe(20);
    // Gone with the child: the kernel dropped its reservations.
    for (const port of theirs) expect(await reservable(port)).toBe(true);
    const ours = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ours).size).toBe(20);
    for (const port of ours) expect(await reservable(port)).toBe(false);
  });

  it('refuses a count it cannot mean', async () => {
    await expect(freePort(0)).rejects.toThrow('freePort(count): expected 1 to 16, got 0');
  });
});
