// Modes 2 and 3 end to end: their launch scripts under a real systemd-socket-activate -a
// (mode 3 with --inetd), one daemon process per connection.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, connectAndReset, launch, type Mode, readToEnd, request, type Running, stopAll, Trickler } from '../support/index.js';

const tricklers: Trickler[] = [];
afterEach(async () => {
  for (const trickler of tricklers.splice(0)) trickler.destroy();
  await stopAll();
});

/** systemd-socket-activate reports each child's exit as "Child PID died with code N". */
function childExits(launcher: Running): string[] {
  return [...launcher.stderr.matchAll(/^Child (\d+) died with code (\d+)$/gm)].map((m) => m[2] ?? '');
}

const modes: [Mode, string][] = [
  ['socket-service-accepted', 'This socket was already accepted\n'],
  ['socket-service-inet', 'This socket was passed on stdin/stdout\n'],
];

describe.each(modes)('%s under its launch script', (mode, message) => {
  it('answers each connection with the exact message from a process of its own, which exits 0', async () => {
    const { process: launcher, port } = await launch(mode);
    for (let i = 0; i < 3; i++) expect(await request(port)).toBe(message);
    expect(await Promise.all([request(port), request(port)])).toEqual([message, message]);
    expect(await launcher.waitForStderr(/(^Child \d+ died with code \d+$[\s\S]*){5}/m)).toBe(true);
    expect(childExits(launcher)).toEqual(['0', '0', '0', '0', '0']);
    const pids = [...launcher.stderr.matchAll(/^Spawned node .* as PID (\d+)\.$/gm)].map((m) => m[1]);
    expect(new Set(pids).size).toBe(5);
    expect(launcher.stderrLines(`${mode}:`)).toEqual([]);
  });

  it('reads and drops what the client sends, and still delivers the whole reply', async () => {
    const { port } = await launch(mode);
    expect(await request(port, { send: 'x'.repeat(1 << 20) })).toBe(message);
  });

  it('a client that keeps sending after the reply holds its process only for the linger time (5 s)', async () => {
    const { process: launcher, port } = await launch(mode);
    const trickler = await Trickler.open(port, { everyMs: 1000 });
    tricklers.push(trickler);
    // Every byte resets the 30 s silence timeout: without the linger bound the process would stay.
    expect(await launcher.waitForStderr(/^Child \d+ died with code \d+$/m, 15_000)).toBe(true);
    expect(childExits(launcher)).toEqual(['0']);
    expect(await trickler.gone).toMatch(/^(EPIPE|ECONNRESET|close)$/);
    expect(launcher.stderrLines(`${mode}:`)).toEqual([]);
  });

  it('a client that resets or never reads does not break the next client', async () => {
    const { process: launcher, port } = await launch(mode);
    const silent = await connect(port, { paused: true });
    await connectAndReset(port);
    expect(await request(port)).toBe(message);
    expect(launcher.alive).toBe(true);
    // The silent client still gets its whole reply when it finally reads.
    expect(await readToEnd(silent)).toBe(message);
    expect(await launcher.waitForStderr(/(^Child \d+ died with code \d+$[\s\S]*){3}/m)).toBe(true);
    expect(childExits(launcher)).toEqual(['0', '0', '0']);
  });
});
