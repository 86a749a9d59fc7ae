// Mode 1 end to end: scripts/launch-socket-service.sh under a real systemd-socket-activate,
// and the same daemon started on its own (fallback port).
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  connect,
  connectAndReset,
  connectError,
  daemonMain,
  launch,
  NotifyReceiver,
  freePort,
  readToEnd,
  request,
  Running,
  stopAll,
} from '../support/index.js';

const MESSAGE = 'This is a test\n';

afterEach(stopAll);

/** The daemon on its own, listening on a free fallback port. */
async function startUnactivated(env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<{ daemon: Running; port: number }> {
  const port = await freePort();
  const daemon = new Running('node', [daemonMain('socket-service'), ...args], {
    env: cleanEnv({ ...env, PORT: String(port) }),
  });
  if (await daemon.waitForStderr(/serving on/)) return { daemon, port };
  throw new Error(`daemon did not start:\n${daemon.stderr}`);
}

describe('socket-service under systemd-socket-activate (listening socket passed in)', () => {
  it('answers every connection with the exact message, one process for all', async () => {
    const { process: daemon, port } = await launch('socket-service');
    expect(await request(port)).toBe(MESSAGE);
    // Logged right after the first answer (see main.ts).
    expect(await daemon.waitForStderr(/serving on/)).toBe(true);
    expect(daemon.stderrLines('socket-service:')).toEqual(['socket-service: serving on activated socket']);
    const pid = daemon.pid;
    for (let i = 0; i < 3; i++) expect(await request(port)).toBe(MESSAGE);
    expect(await Promise.all([request(port), request(port), request(port)])).toEqual([MESSAGE, MESSAGE, MESSAGE]);
    // systemd-socket-activate execed the daemon in its own place: same pid, still serving.
    expect(daemon.pid).toBe(pid);
    expect(daemon.alive).toBe(true);
    expect(daemon.stderr).toMatch(/^Execing node /m);
  });

  it('sends READY=1 and a STATUS that counts connections to NOTIFY_SOCKET', async () => {
    const receiver = await NotifyReceiver.start();
    try {
      const { port } = await launch('socket-service', { env: { NOTIFY_SOCKET: receiver.path } });
      expect(await request(port)).toBe(MESSAGE);
      expect(await request(port)).toBe(MESSAGE);
      expect(await receiver.waitFor(/^STATUS=.*2 connections served$/m)).toBe(true);
      expect(receiver.lines).toContain('READY=1');
      expect(receiver.lines).toContain('STATUS=Serving on activated socket; 1 connection served');
    } finally {
      await receiver.close();
    }
  });

  it('on SIGTERM stops accepting, finishes the connection in flight, then exits 0', async () => {
    const receiver = await NotifyReceiver.start();
    try {
      const { process: daemon, port } = await launch('socket-service', { env: { NOTIFY_SOCKET: receiver.path } });
      expect(await request(port)).toBe(MESSAGE);
      // A client that has connected but neither read anything nor closed: once the daemon
      // reports it served, it has accepted it and written the reply.
      const slow = await connect(port, { paused: true });
      expect(await receiver.waitFor(/^STATUS=.*; 2 connections served$/m)).toBe(true);
      daemon.signal('SIGTERM');
      expect(await daemon.waitForStderr(/socket-service: SIGTERM: no longer accepting, finishing 1 open connection$/m)).toBe(true);
      expect(await receiver.waitFor(/^STOPPING=1$/m)).toBe(true);
      // The listening socket is closed (the daemon held its only copy) ...
      expect(await connectError(port)).toBe('ECONNREFUSED');
      // ... but the daemon stays until the connection in flight has ended.
      expect(daemon.alive).toBe(true);
      expect(await readToEnd(slow)).toBe(MESSAGE);
      expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
    } finally {
      await receiver.close();
    }
  });

  it('exits 0 after --idle-timeout seconds without a connection (the launcher pid is the daemon)', async () => {
    const { process: daemon, port } = await launch('socket-service', { args: ['--idle-timeout=1'] });
    expect(await request(port)).toBe(MESSAGE);
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
    expect(daemon.stderr).toMatch(/socket-service: idle: no longer accepting, finishing 0 open connections$/m);
    expect(await connectError(port)).toBe('ECONNREFUSED');
  });

  it('takes the idle timeout from IDLE_TIMEOUT too (passed through with -E)', async () => {
    const { process: daemon, port } = await launch('socket-service', { env: { IDLE_TIMEOUT: '0.5' } });
    expect(await request(port)).toBe(MESSAGE);
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
    expect(daemon.stderr).toMatch(/socket-service: idle:/);
  });

  it('a client that resets or never reads does not break the next client', async () => {
    const { process: daemon, port } = await launch('socket-service');
    expect(await request(port)).toBe(MESSAGE);
    const silent = await connect(port, { paused: true }); // never reads, never closes
    for (let i = 0; i < 5; i++) await connectAndReset(port);
    expect(await request(port)).toBe(MESSAGE);
    expect(await Promise.all([request(port), request(port)])).toEqual([MESSAGE, MESSAGE]);
    expect(daemon.alive).toBe(true);
    silent.destroy();
  });
});

describe('socket-service without socket activation', () => {
  it('listens on 127.0.0.1:$PORT and serves the same message', async () => {
    const { daemon, port } = await startUnactivated();
    expect(daemon.stderrLines()).toEqual([`socket-service: serving on 127.0.0.1:${port} (not socket-activated)`]);
    expect(await request(port)).toBe(MESSAGE);
    expect(await request(port)).toBe(MESSAGE);
    daemon.signal('SIGTERM');
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
  });

  it('ignores an idle timeout, saying why', async () => {
    const { daemon, port } = await startUnactivated({ IDLE_TIMEOUT: '0.2' });
    expect(await daemon.waitForStderr(/idle timeout ignored/)).toBe(true);
    expect(await request(port)).toBe(MESSAGE);
    expect(daemon.alive).toBe(true);
  });

  it.each([
    [{ PORT: 'http' }, [], /^socket-service: PORT="http": expected a TCP port number from 1 to 65535$/],
    [{ PORT: '70000' }, [], /^socket-service: PORT="70000": expected a TCP port/],
    [{}, ['--idle-timeout=soon'], /^socket-service: --idle-timeout="soon": expected a number of seconds greater than 0$/],
    [{ IDLE_TIMEOUT: '-1' }, [], /^socket-service: IDLE_TIMEOUT="-1": expected a number of seconds/],
    [{}, ['--verbose'], /^socket-service: .*--verbose.*usage: socket-service \[--idle-timeout=SECONDS\]$/],
  ])('rejects bad configuration %o %o with one line and exit 1', async (env, args, message) => {
    const daemon = new Running('node', [daemonMain('socket-service'), ...args], { env: cleanEnv({ PORT: '26000', ...env }) });
    expect(await daemon.waitForExit()).toEqual({ code: 1, signal: null });
    expect(daemon.stderrLines()).toHaveLength(1);
    expect(daemon.stderrLines()[0]).toMatch(message);
  });
});
