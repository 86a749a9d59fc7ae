import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activate, type Activated, assertBuilt, exchange, fixture, jsonLines, knock, waitFor } from '../../../../test/support/index.js';

const runs: Activated[] = [];
beforeAll(assertBuilt);
afterAll(() => {
  for (const r of runs) r.kill();
});

/** systemd-socket-activate --accept --inetd: one child per connection, connection on fds 0 and 1. */
async function inetd(mode: string, accept = true): Promise<Activated> {
  const r = await activate(
    (port) => [...(accept ? ['--accept'] : []), '--inetd', '-l', `127.0.0.1:${port}`],
    ['node', fixture('activation', 'inetd.mjs'), mode],
  );
  runs.push(r);
  return r;
}

/** The exit code systemd-socket-activate logged for its first child. */
async function childExit(r: Activated): Promise<number> {
  await waitFor(`the child to exit (stderr: ${r.stderr()})`, () => /Child \d+ died with code -?\d+/.test(r.stderr()), 30_000);
  return Number(/Child \d+ died with code (-?\d+)/.exec(r.stderr())![1]);
}

/**
 * Reads everything, but stops after the first MiB until the daemon has exited (at most a second):
 * a daemon that exits with bytes still queued in the process loses them, and the hash shows it.
 */
function slowRead(r: Activated): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port: r.port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let received = 0;
    let paused = false;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (!paused && received >= 1 << 20) {
        paused = true;
        socket.pause();
        waitFor('the child to die', () => /Child \d+ died/.test(r.stderr()), 1000)
          .catch(() => undefined)
          .finally(() => socket.resume());
      }
    });
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.end();
  });
}

describe('inetdConnection() under systemd-socket-activate --accept --inetd', () => {
  it('echoes 1 MiB of client bytes unchanged', async () => {
    const r = await inetd('echo');
    const data = randomBytes(1 << 20);
    const echoed = await exchange({ port: r.port }, data);
    expect(echoed.length).toBe(data.length);
    expect(echoed.equals(data)).toBe(true);
    expect(await childExit(r)).toBe(0);
  });

  it('32 MiB written then ended (and process.exit in the end callback): every byte arrives', async () => {
    const r = await inetd('big');
    const received = await slowRead(r);
    await waitFor('the report', () => jsonLines(r.stderr()).length > 0, 30_000);
    const report = jsonLines(r.stderr())[0] as { sent: number; sha256: string };
    expect(received.length).toBe(32 << 20);
    expect(report.sent).toBe(32 << 20);
    expect(createHash('sha256').update(received).digest('hex')).toBe(report.sha256);
    expect(await childExit(r)).toBe(0);
  });

  it('end() shuts the write side down: the client sees EOF while the daemon still runs', async () => {
    const r = await inetd('half-close');
    const received = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ port: r.port, host: '127.0.0.1' });
      let text = '';
      socket.setEncoding('utf8').on('data', (d: string) => (text += d));
      // allowHalfOpen is false: the client closes its side as soon as it has seen EOF.
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(received).toBe('bye\n');
    expect(await childExit(r)).toBe(0);
  });

  it.each(['reset', 'reset-unhandled'])('a client that resets mid-stream does not crash the daemon (%s)', async (mode) => {
    const r = await inetd(mode);
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ port: r.port, host: '127.0.0.1' });
      let received = 0;
      socket.on('data', (d: Buffer) => {
        received += d.length;
        // Reset with unread data in flight: the daemon's next writes fail with ECONNRESET/EPIPE.
        if (received > 1 << 20) {
          socket.resetAndDestroy();
          resolve();
        }
      });
      socket.on('error', reject);
    });
    expect(await childExit(r)).toBe(0);
    const reports = jsonLines(r.stderr()) as { handled?: string; closed?: boolean }[];
    if (mode === 'reset') {
      expect(reports.filter((x) => x.handled !== undefined)).toHaveLength(1);
      expect(['ECONNRESET', 'EPIPE']).toContain(reports.find((x) => x.handled)!.handled);
    } else {
      expect(reports.filter((x) => x.handled !== undefined)).toHaveLength(0);
    }
    expect(reports).toContainEqual({ closed: true });
    expect(r.stderr()).not.toMatch(/Uncaught|Error:|at .*\(/);
  });

  it('stdout elsewhere (not the connection) → error instead of replies that never arrive', async () => {
    const r = await activate(
      (port) => ['--accept', '--inetd', '-l', `127.0.0.1:${port}`],
      ['sh', '-c', `exec node ${JSON.stringify(fixture('activation', 'inetd.mjs'))} echo >/dev/null`],
    );
    runs.push(r);
    await knock(r.port);
    expect(await childExit(r)).toBe(3);
    expect(jsonLines(r.stderr())).toEqual([
      {
        code: 'EINVAL',
        error:
          'stdout is not the connection stdin is: replies would not reach the client; leave StandardOutput= at its default (inherit) or set it to socket',
      },
    ]);
  });

  it('without --accept stdin is the listening socket: the error says how to run it', async () => {
    const r = await inetd('echo', false);
    await knock(r.port);
    expect(await r.exited).toBe(3);
    expect(jsonLines(r.stderr())).toEqual([
      {
        code: 'EINVAL',
        error:
          'fd 0 (stdin) is a listening inet4 stream socket: expected a connected stream socket: run with systemd-socket-activate --accept --inetd or a unit with Accept=yes and StandardInput=socket; the fd was left open',
      },
    ]);
  });
});
