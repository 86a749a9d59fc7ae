// Mode 2 end to end: scripts/launch-socket-service-accepted.sh under a real
// systemd-socket-activate -a, one daemon process per connection, on fd 3.
import { afterEach, describe, expect, it } from 'vitest';
import { connectAndReset, connectPaused, readToEnd, request } from '../helpers/client.js';
import { activate, daemonMain, launch } from '../helpers/launch.js';
import { Running, stopAll } from '../helpers/processes.js';

const MESSAGE = 'This socket was already accepted\n';
const PREFIX = 'socket-service-accepted:';

afterEach(stopAll);

/** systemd-socket-activate reports each child's exit as "Child PID died with code N". */
function childExits(launcher: Running): string[] {
  return [...launcher.stderr.matchAll(/^Child (\d+) died with code (\d+)$/gm)].map((m) => m[2] ?? '');
}

describe('socket-service-accepted under systemd-socket-activate -a', () => {
  it('answers each connection with the exact message from a process of its own, which exits 0', async () => {
    const { process: launcher, port } = await launch('socket-service-accepted');
    for (let i = 0; i < 3; i++) expect(await request(port)).toBe(MESSAGE);
    expect(await Promise.all([request(port), request(port)])).toEqual([MESSAGE, MESSAGE]);
    expect(await launcher.waitForStderr(/(^Child \d+ died with code \d+$[\s\S]*){5}/m)).toBe(true);
    expect(childExits(launcher)).toEqual(['0', '0', '0', '0', '0']);
    const pids = [...launcher.stderr.matchAll(/^Spawned node .* as PID (\d+)\.$/gm)].map((m) => m[1]);
    expect(new Set(pids).size).toBe(5);
    expect(launcher.stderrLines(PREFIX)).toEqual([]);
  });

  it('a client that resets or never reads does not break the next client', async () => {
    const { process: launcher, port } = await launch('socket-service-accepted');
    const silent = await connectPaused(port);
    await connectAndReset(port);
    expect(await request(port)).toBe(MESSAGE);
    expect(launcher.alive).toBe(true);
    // The silent client still gets its whole reply when it finally reads.
    expect(await readToEnd(silent)).toBe(MESSAGE);
    expect(await launcher.waitForStderr(/(^Child \d+ died with code \d+$[\s\S]*){3}/m)).toBe(true);
    expect(childExits(launcher)).toEqual(['0', '0', '0']);
  });
});

describe('socket-service-accepted misused', () => {
  it('exits non-zero with one line when started without a connection', async () => {
    const daemon = new Running('node', [daemonMain('socket-service-accepted')]);
    expect((await daemon.waitForExit()).code).not.toBe(0);
    expect(daemon.stderrLines()).toHaveLength(1);
    expect(daemon.stderrLines()[0]).toMatch(/^socket-service-accepted: \S/);
  });

  it('exits non-zero with one line when fd 3 is not a connection', async () => {
    const daemon = new Running('sh', ['-c', `LISTEN_PID=$$ LISTEN_FDS=1 exec node "$0" 3</dev/null`, daemonMain('socket-service-accepted')]);
    expect((await daemon.waitForExit()).code).not.toBe(0);
    expect(daemon.stderrLines()).toHaveLength(1);
    expect(daemon.stderrLines()[0]).toMatch(/^socket-service-accepted: .*\b3\b/);
  });

  it('exits non-zero with one line when given the listening socket (launched without -a)', async () => {
    const { process: launcher, port } = await activate([], ['node', daemonMain('socket-service-accepted')]);
    await request(port).catch(() => undefined); // triggers the exec; the daemon refuses to serve
    expect((await launcher.waitForExit()).code).not.toBe(0);
    expect(launcher.stderrLines(PREFIX)).toHaveLength(1);
    expect(launcher.stderrLines(PREFIX)[0]).toMatch(/^socket-service-accepted: .*\b3\b/);
  });
});
