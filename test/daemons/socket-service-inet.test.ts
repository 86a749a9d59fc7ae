// Mode 3: the tutorial's --inet spelling, and misuse (stdin that is not a connection).
import { afterEach, describe, expect, it } from 'vitest';
import { activate, daemonMain, loopback, request, Running, stopAll } from '../support/index.js';

const MESSAGE = 'This socket was passed on stdin/stdout\n';
const PREFIX = 'socket-service-inet:';

afterEach(stopAll);

describe('socket-service-inet under systemd-socket-activate -a --inetd', () => {
  it('the --inet spelling of the tutorial works as an abbreviation of --inetd', async () => {
    const { port } = await activate((port) => ['-a', '--inet', ...loopback(port)], ['node', daemonMain('socket-service-inet')]);
    expect(await request(port)).toBe(MESSAGE);
  });
});

describe('socket-service-inet misused', () => {
  it.each([
    [
      '/dev/null',
      'ignore' as const,
      /^socket-service-inet: fd 0 \(stdin\) is neither a socket, a FIFO nor a file: expected a connected stream socket: run with systemd-socket-activate/,
    ],
    ['a pipe', 'pipe' as const, /^socket-service-inet: fd 0 \(stdin\) is a FIFO: expected a connected stream socket/],
  ])('exits non-zero with one line when stdin is %s', async (_what, stdin, message) => {
    const daemon = new Running('sh', [
      '-c',
      stdin === 'pipe' ? 'true | exec node "$0"' : 'exec node "$0" </dev/null',
      daemonMain('socket-service-inet'),
    ]);
    expect((await daemon.waitForExit()).code).not.toBe(0);
    expect(daemon.stderrLines()).toHaveLength(1);
    expect(daemon.stderrLines()[0]).toMatch(message);
  });

  it('exits non-zero with one line when given the listening socket (launched without -a)', async () => {
    const { process: launcher, port } = await activate(
      (port) => ['--inetd', ...loopback(port)],
      ['node', daemonMain('socket-service-inet')],
    );
    await request(port).catch(() => undefined); // triggers the exec; the daemon refuses to serve
    expect((await launcher.waitForExit()).code).not.toBe(0);
    expect(launcher.stderrLines(PREFIX)).toHaveLength(1);
    expect(launcher.stderrLines(PREFIX)[0]).toMatch(/^socket-service-inet: fd 0 \(stdin\) is a listening inet4 stream socket/);
  });
});
