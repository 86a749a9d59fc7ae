// Mode 2 misuse: socket-service-accepted started without an accepted connection.
import { afterEach, describe, expect, it } from 'vitest';
import { activate, daemonMain, loopback, request, Running, stopAll } from '../support/index.js';

const PREFIX = 'socket-service-accepted:';

afterEach(stopAll);

describe('socket-service-accepted misused', () => {
  it('exits non-zero with one line when started without a connection', async () => {
    const daemon = new Running('node', [daemonMain('socket-service-accepted')]);
    expect((await daemon.waitForExit()).code).not.toBe(0);
    expect(daemon.stderrLines()).toHaveLength(1);
    expect(daemon.stderrLines()[0]).toMatch(/^socket-service-accepted: \S/);
  });

  it('exits non-zero with one line when fd 3 is not a connection', async () => {
    const daemon = new Running('sh', [
      '-c',
      `LISTEN_PID=$$ LISTEN_FDS=1 exec node "$0" 3</dev/null`,
      daemonMain('socket-service-accepted'),
    ]);
    expect((await daemon.waitForExit()).code).not.toBe(0);
    expect(daemon.stderrLines()).toHaveLength(1);
    expect(daemon.stderrLines()[0]).toMatch(/^socket-service-accepted: .*\b3\b/);
  });

  it('exits non-zero with one line when given the listening socket (launched without -a)', async () => {
    const { process: launcher, port } = await activate(loopback, ['node', daemonMain('socket-service-accepted')]);
    await request(port).catch(() => undefined); // triggers the exec; the daemon refuses to serve
    expect((await launcher.waitForExit()).code).not.toBe(0);
    expect(launcher.stderrLines(PREFIX)).toHaveLength(1);
    expect(launcher.stderrLines(PREFIX)[0]).toMatch(/^socket-service-accepted: .*\b3\b/);
  });
});
