// An adopted listening socket keeps its backlog (a socket unit's Backlog=): Node listens again on an
// fd it adopts, with 511 unless told otherwise. Python makes the listening socket with a chosen
// backlog and execs node in its place with it as fd 3 (LISTEN_PID is then node's pid); `ss`, which
// asks the kernel over sock_diag, shows a listener's backlog as Send-Q.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SystemdError } from '../../src/errors.js';
import { listen } from '../../src/listen/listeners.js';
import { execWithFd3 } from './python-passes-fd3.js';
import { assertBuilt, libraryEntry, python, freePort, Running, stopAll, tempDir } from '../../../../test/support/index.js';

const hasSs = spawnSync('ss', ['-V'], { stdio: 'ignore' }).status === 0;
let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = tempDir();
});
afterEach(stopAll);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// argv: family ('tcp' | 'unix'), address (port or path), backlog, then the program to exec.
const MAKE_LISTENER = `
import os, socket, sys
family, where, backlog = sys.argv[1], sys.argv[2], int(sys.argv[3])
if family == 'tcp':
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', int(where)))
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(where)
s.listen(backlog)
${execWithFd3(4)}`;

// argv: the function ('listen' | 'listenAll') and its options as JSON.
const ADOPT = `
import net from 'node:net';
const library = await import(process.argv[1]);
const [call, options] = [process.argv[2], JSON.parse(process.argv[3])];
if (call === 'listen') await library.listen(net.createServer(), options);
else await library.listenAll(() => net.createServer(), options);
process.stdout.write('listening\\n');
`;

/** The backlog of the listener on `where` (a port or a unix path), as the kernel reports it. */
function kernelBacklog(family: 'tcp' | 'unix', where: string): number {
  const filter = family === 'tcp' ? ['-ltn', `sport = :${where}`] : ['-lx', `src = ${where}`];
  const out = spawnSync('ss', ['-H', ...filter], { encoding: 'utf8' }).stdout;
  const fields = out.trim().split(/\s+/);
  // TCP: State Recv-Q Send-Q …; unix: Netid State Recv-Q Send-Q …
  const sendQ = Number(fields[family === 'tcp' ? 2 : 3]);
  if (!Number.isInteger(sendQ)) throw new Error(`no listener on ${where} in ss output: ${JSON.stringify(out)}`);
  return sendQ;
}

/** Adopts a listener made with `backlog`; resolves with its backlog before and after node adopted it. */
async function adopted(family: 'tcp' | 'unix', backlog: number, call: 'listen' | 'listenAll', options: object = {}) {
  const where = family === 'tcp' ? String(await freePort()) : path.join(dir, `${Math.random().toString(36).slice(2)}.sock`);
  const child = new Running(
    python,
    [
      '-c',
      MAKE_LISTENER,
      family,
      where,
      String(backlog),
      process.execPath,
      '--input-type=module',
      '-e',
      ADOPT,
      libraryEntry,
      call,
      JSON.stringify(options),
    ],
    {
      env: { PATH: process.env.PATH },
    },
  );
  const listening = await child.waitForOutput(() => child.stdout.includes('listening\n'), 20_000);
  if (!listening) throw new Error(`the child did not listen: ${child.stderr}`);
  return kernelBacklog(family, where);
}

const somaxconn = Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));

describe.skipIf(!hasSs)('the backlog of an adopted listening socket (needs ss: apt-get install iproute2)', () => {
  it('TCP: listen() keeps a unit-sized backlog, larger than Node’s 511', async () => {
    expect(await adopted('tcp', Math.min(4096, somaxconn), 'listen')).toBe(Math.min(4096, somaxconn));
  });

  it('TCP: listenAll() keeps a smaller one as it is (Backlog=100 stays 100)', async () => {
    expect(await adopted('tcp', 100, 'listenAll')).toBe(100);
  });

  it('the backlog option replaces it', async () => {
    expect(await adopted('tcp', 100, 'listen', { backlog: 200 })).toBe(200);
  });

  it('unix: the kernel does not tell a unix listener’s backlog, so it is somaxconn (systemd’s default), or the option', async () => {
    expect(await adopted('unix', 100, 'listen')).toBe(somaxconn);
    expect(await adopted('unix', 100, 'listen', { backlog: 100 })).toBe(100);
  });
});

describe('the backlog option', () => {
  it.each([0, -1, 1.5, 2 ** 31, '4096'])('%j → EINVAL naming backlog, before anything is adopted', async (backlog) => {
    const error = await listen(new net.Server(), { backlog: backlog as number, fallback: { port: 0, host: '127.0.0.1' } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SystemdError);
    expect(error).toMatchObject({ code: 'EINVAL', subject: 'backlog' });
    expect((error as Error).message).toMatch(/^backlog=.*: expected an integer from 1 to 2147483647/);
  });
});
