// Mode 3 end to end: scripts/launch-socket-service-inet.sh under a real
// systemd-socket-activate -a --inetd, one daemon process per connection, on stdin/stdout.
import { afterEach, describe, expect, it } from 'vitest';
import { connectAndReset, connectPaused, readToEnd, request } from '../helpers/client.js';
import { activate, daemonMain, launch } from '../helpers/launch.js';
import { Running, stopAll } from '../helpers/processes.js';

const MESSAGE = 'This socket was passed on stdin/stdout\n';
const PREFIX = 'socket-service-inet:';

afterEach(stopAll);

/** systemd-socket-activate reports each child's exit as "Child PID died with code N". */
function childExits(launcher: Running): string[] {
  return [...launcher.stderr.matchAll(/^Child (\d+) died with code (\d+)$/gm)].map((m) => m[2] ?? '');
}

describe('socket-service-inet under systemd-socket-activate -a --inetd', () => {
  it('answers each connection with the exact message from a process of its own, which exits 0', async () => {
    const { process: launcher, port } = await launch('socket-service-inet');
    for (let i = 0; i < 3; i++) expect(await request(port)).toBe(MESSAGE);
    expect(await Promise.all([request(port), request(port)])).toEqual([MESSAGE, MESSAGE]);
    expect(await launcher.waitForStderr(/(^Child \d+ died with code \d+$[\s\S]*){5}/m)).toBe(true);
    expect(childExits(launcher)).toEqual(['0', '0', '0', '0', '0']);
    expect(launcher.stderrLines(PREFIX)).toEqual([]);
  });

  it('reads and drops what the client sends, and still delivers the whole reply', async () => {
    const { port } = await launch('socket-service-inet');
    expect(await request(port, { send: 'x'.repeat(1 << 20) })).toBe(MESSAGE);
  });

  it('a client that resets or never reads does not break the next client', async () => {
    const { process: launcher, port } = await launch('socket-service-inet');
    const silent = await connectPaused(port);
    await connectAndReset(port);
    expect(await request(port)).toBe(MESSAGE);
    expect(launcher.alive).toBe(true);
    expect(await readToEnd(silent)).toBe(MESSAGE);
    expect(await launcher.waitForStderr(/(^Child \d+ died with code \d+$[\s\S]*){3}/m)).toBe(true);
    expect(childExits(launcher)).toEqual(['0', '0', '0']);
  });

  it('the --inet spelling of the tutorial works as an abbreviation of --inetd', async () => {
    const { port } = await activate(['-a', '--inet'], ['node', daemonMain('socket-service-inet')]);
    expect(await request(port)).toBe(MESSAGE);
  });
});

describe('socket-service-inet misused', () => {
  it.each([
    ['/dev/null', 'ignore' as const, /^socket-service-inet: stdin is .*not a connected socket: run with systemd-socket-activate/],
    ['a pipe', 'pipe' as const, /^socket-service-inet: stdin is a pipe, not a connected socket/],
  ])('exits non-zero with one line when stdin is %s', async (_what, stdin, message) => {
    const daemon = new Running('sh', ['-c', stdin === 'pipe' ? 'true | exec node "$0"' : 'exec node "$0" </dev/null', daemonMain('socket-service-inet')]);
    expect((await daemon.waitForExit()).code).not.toBe(0);
    expect(daemon.stderrLines()).toHaveLength(1);
    expect(daemon.stderrLines()[0]).toMatch(message);
  });

  it('exits non-zero with one line when given the listening socket (launched without -a)', async () => {
    const { process: launcher, port } = await activate(['--inetd'], ['node', daemonMain('socket-service-inet')]);
    await request(port).catch(() => undefined); // triggers the exec; the daemon refuses to serve
    expect((await launcher.waitForExit()).code).not.toBe(0);
    expect(launcher.stderrLines(PREFIX)).toHaveLength(1);
    expect(launcher.stderrLines(PREFIX)[0]).toMatch(/^socket-service-inet: stdin is a listening socket/);
  });
});
