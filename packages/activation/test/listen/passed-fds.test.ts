import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemdError } from '../../src/errors.js';
import { parseListenEnvironment, SD_LISTEN_FDS_START } from '../../src/listen/environment.js';
import { listenFds } from '../../src/listen/passed-fds.js';
import { activate, assertBuilt, exchange, firstJson, fixture, knock, libraryEntry, thrown } from '../../../../test/support/index.js';

const pid = process.pid;
function isOpen(fd: number): boolean {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}
const opened: number[] = [];

/** Opens files until fds 3 … 3+count-1 are all open (open() takes the lowest free number). */
function ensureOpen(count: number): void {
  for (let i = 0; i < 64 && ![...Array(count).keys()].every((k) => isOpen(SD_LISTEN_FDS_START + k)); i++) {
    opened.push(fs.openSync('/dev/null', 'r'));
  }
  for (let k = 0; k < count; k++) expect(isOpen(SD_LISTEN_FDS_START + k)).toBe(true);
}

/** The lowest fd ≥ 3 that is not open. */
function closedFd(): number {
  let fd = SD_LISTEN_FDS_START;
  while (isOpen(fd)) fd++;
  return fd;
}

function env(values: Record<string, string>): NodeJS.ProcessEnv {
  return { UNRELATED: 'kept', ...values };
}

beforeAll(() => ensureOpen(3));
afterAll(() => {
  for (const fd of opened) fs.closeSync(fd);
});

describe('listenFds (sd_listen_fds_with_names contract)', () => {
  it('exports SD_LISTEN_FDS_START = 3', () => {
    expect(SD_LISTEN_FDS_START).toBe(3);
  });

  it('LISTEN_PID absent → no fds, even with LISTEN_FDS set', () => {
    const e = env({ LISTEN_FDS: '1' });
    expect(listenFds({ env: e, pid })).toEqual([]);
    expect(e).toEqual({ UNRELATED: 'kept' });
  });

  it('LISTEN_PID of another process → no fds, variables removed', () => {
    const e = env({ LISTEN_PID: String(pid + 1), LISTEN_FDS: '1', LISTEN_FDNAMES: 'x' });
    expect(listenFds({ env: e, pid })).toEqual([]);
    expect(e).toEqual({ UNRELATED: 'kept' });
  });

  it.each(['abc', '', ' 1', '+5', '0x10', '-1', '0', '1.5', '0123', '00'])(
    'garbage LISTEN_PID %j → EINVAL naming LISTEN_PID and the value',
    (value) => {
      const e = env({ LISTEN_PID: value, LISTEN_FDS: '1' });
      const error = thrown(() => listenFds({ env: e, pid }));
      expect(error.code).toBe('EINVAL');
      expect(error.subject).toBe('LISTEN_PID');
      expect(error.value).toBe(value);
      expect(error.message).toContain(`LISTEN_PID=${JSON.stringify(value)}`);
      expect(e).toEqual({ UNRELATED: 'kept' });
    },
  );

  it('LISTEN_FDS absent → no fds', () => {
    const e = env({ LISTEN_PID: String(pid) });
    expect(listenFds({ env: e, pid })).toEqual([]);
    expect(e).toEqual({ UNRELATED: 'kept' });
  });

  // libsystemd 252 reads 08 as EINVAL and 010 as octal 8: leading zeros are refused rather than read differently.
  it.each(['0', '-1', 'two', '', ' 1', '+1', '0x2', '1e1', '99999999999999999999', '08', '010', '00', '01'])(
    'LISTEN_FDS=%j → EINVAL naming LISTEN_FDS',
    (value) => {
      const e = env({ LISTEN_PID: String(pid), LISTEN_FDS: value });
      const error = thrown(() => listenFds({ env: e, pid }));
      expect(error.code).toBe('EINVAL');
      expect(error.subject).toBe('LISTEN_FDS');
      expect(error.value).toBe(value);
      expect(e).toEqual({ UNRELATED: 'kept' });
    },
  );

  it('an fd in range that is not open → EBADF naming that fd', () => {
    const closed = closedFd();
    expect(isOpen(closed)).toBe(false);
    const e = env({ LISTEN_PID: String(pid), LISTEN_FDS: String(closed - SD_LISTEN_FDS_START + 1) });
    const error = thrown(() => listenFds({ env: e, pid }));
    expect(error.code).toBe('EBADF');
    expect(error.subject).toBe('LISTEN_FDS');
    expect(error.message).toContain(`fd ${closed} is not open`);
    expect(e).toEqual({ UNRELATED: 'kept' });
  });

  // The parser, not listenFds(): in the test process fds 4, 5, … are the test runner's own epoll and
  // pipes, which listenFds() rightly refuses (see the test with fds 3+ closed below).
  it('LISTEN_FDNAMES absent → every fd is named "unknown"', () => {
    const e = env({ LISTEN_PID: String(pid), LISTEN_FDS: '2' });
    expect(parseListenEnvironment(e, pid).fds).toEqual([
      { fd: 3, name: 'unknown' },
      { fd: 4, name: 'unknown' },
    ]);
    expect(e).toEqual(env({ LISTEN_PID: String(pid), LISTEN_FDS: '2' }));
    const one = env({ LISTEN_PID: String(pid), LISTEN_FDS: '1' });
    expect(listenFds({ env: one, pid })).toEqual([{ fd: 3, name: 'unknown' }]);
    expect(one).toEqual({ UNRELATED: 'kept' });
  });

  it('LISTEN_FDNAMES is split on ":" keeping empty fields', () => {
    const e = env({ LISTEN_PID: String(pid), LISTEN_FDS: '3', LISTEN_FDNAMES: 'a::b' });
    expect(parseListenEnvironment(e, pid).fds).toEqual([
      { fd: 3, name: 'a' },
      { fd: 4, name: '' },
      { fd: 5, name: 'b' },
    ]);
  });

  it('names need not be unique', () => {
    const e = env({ LISTEN_PID: String(pid), LISTEN_FDS: '2', LISTEN_FDNAMES: 'web:web' });
    expect(parseListenEnvironment(e, pid).fds.map((f) => f.name)).toEqual(['web', 'web']);
  });

  it.each([
    ['a:b:c', 2, 3],
    ['a', 2, 1],
    ['a::', 2, 3],
  ])('LISTEN_FDNAMES=%j with LISTEN_FDS=%i → error naming LISTEN_FDNAMES and both counts', (names, count, nameCount) => {
    const e = env({ LISTEN_PID: String(pid), LISTEN_FDS: String(count), LISTEN_FDNAMES: names });
    const error = thrown(() => listenFds({ env: e, pid }));
    expect(error.code).toBe('EINVAL');
    expect(error.subject).toBe('LISTEN_FDNAMES');
    expect(error.message).toContain(`has ${nameCount} name(s) but LISTEN_FDS=${count}`);
    expect(e).toEqual({ UNRELATED: 'kept' });
  });

  it('unsetEnvironment: false leaves the variables, on success and on error', () => {
    const ok = env({ LISTEN_PID: String(pid), LISTEN_FDS: '1', LISTEN_FDNAMES: 'x' });
    expect(listenFds({ env: ok, pid, unsetEnvironment: false })).toEqual([{ fd: 3, name: 'x' }]);
    expect(ok.LISTEN_FDNAMES).toBe('x');
    const bad = env({ LISTEN_PID: String(pid), LISTEN_FDS: 'x' });
    expect(() => listenFds({ env: bad, pid, unsetEnvironment: false })).toThrow(SystemdError);
    expect(bad.LISTEN_FDS).toBe('x');
  });

  it('an explicit env is not remembered: a second call sees the removed variables as absent', () => {
    const e = env({ LISTEN_PID: String(pid), LISTEN_FDS: '1' });
    expect(listenFds({ env: e, pid })).toHaveLength(1);
    expect(listenFds({ env: e, pid })).toEqual([]);
  });

  it('the pid option is what LISTEN_PID must name', () => {
    const e = { LISTEN_PID: '4242', LISTEN_FDS: '1' };
    expect(listenFds({ env: { ...e }, pid: 4242 })).toEqual([{ fd: 3, name: 'unknown' }]);
    expect(listenFds({ env: { ...e } })).toEqual([]);
  });
});

describe('parseListenEnvironment (pure)', () => {
  it('says when LISTEN_FDS was meant for another process (a wrapper), and leaves env untouched', () => {
    const e = env({ LISTEN_PID: String(pid + 1), LISTEN_FDS: '2' });
    expect(parseListenEnvironment(e, pid)).toEqual({
      fds: [],
      listenPidMatches: false,
      meantForOther: { listenPid: pid + 1, pid, listenFds: '2' },
    });
    expect(parseListenEnvironment(env({ LISTEN_FDS: '1' }), pid).meantForOther).toEqual({ listenPid: undefined, pid, listenFds: '1' });
    expect(parseListenEnvironment(env({ LISTEN_PID: String(pid + 1) }), pid)).toEqual({ fds: [], listenPidMatches: false });
    expect(parseListenEnvironment(env({ LISTEN_PID: String(pid) }), pid)).toEqual({ fds: [], listenPidMatches: true });
    expect(e).toEqual(env({ LISTEN_PID: String(pid + 1), LISTEN_FDS: '2' }));
  });

  it('an empty LISTEN_FDNAMES with one fd is one empty name, as libsystemd 252 reads it', () => {
    expect(parseListenEnvironment(env({ LISTEN_PID: String(pid), LISTEN_FDS: '1', LISTEN_FDNAMES: '' }), pid).fds).toEqual([
      { fd: 3, name: '' },
    ]);
  });
});

describe('listenFds on process.env under systemd-socket-activate', () => {
  beforeAll(assertBuilt);

  it.each([[[]], [['keep']]])('reads once, removes the variables, and remembers the fds for the process (%j)', async (args) => {
    const run = await activate(
      (port) => ['-l', `127.0.0.1:${port}`, '--fdname=web'],
      ['node', fixture('activation', 'listenfds.mjs'), ...args],
    );
    try {
      await knock(run.port);
      const out = await firstJson(run.stdout);
      expect(out.first).toEqual([{ fd: 3, name: 'web' }]);
      if (args.length === 0) {
        expect(out.left).toEqual({});
      } else {
        expect(out.left).toEqual({ LISTEN_PID: String(out.pid), LISTEN_FDS: '1', LISTEN_FDNAMES: 'web' });
      }
      expect(out.second).toEqual([{ fd: 3, name: 'web' }]);
      expect(out.after).toEqual({});
      expect(out.explicit).toEqual([{ fd: 3, name: 'unknown' }]);
      expect(await run.exited).toBe(0);
    } finally {
      run.kill();
    }
  });

  it('two copies of the library in one process (ESM and CommonJS builds) see the same fds, adoptions and errors', async () => {
    const run = await activate((port) => ['-l', `127.0.0.1:${port}`, '--fdname=web'], ['node', fixture('activation', 'copies.mjs')]);
    try {
      const reply = exchange({ port: run.port });
      const out = await firstJson(run.stdout);
      expect(out.distinctCopies).toBe(true);
      expect(out.esm).toEqual([{ fd: 3, name: 'web' }]);
      expect(out.cjs).toEqual([{ fd: 3, name: 'web' }]);
      expect(out.cjsState).toEqual({ fds: [{ fd: 3, name: 'web' }], listenPidMatches: true });
      expect(out.left).toBeNull();
      expect(out.listening).toEqual({ activated: true, fd: 3, name: 'web' });
      expect(out.second).toMatchObject({ code: 'EEXIST', instanceofEsm: true, instanceofCjs: true });
      expect(out.second.message).toContain('fd 3 was already adopted by this process');
      expect(out.brand).toEqual({ esmErrorIsCjs: true, plainErrorIsEsm: false, lookalikeIsEsm: false });
      expect((await reply).toString()).toBe('served by the ESM copy');
      expect(await run.exited).toBe(0);
    } finally {
      run.kill();
    }
  });

  it("LISTEN_FDS=2 with nothing passed (fds 3+ closed): Node's own fds at 3 and 4 are refused, not handed out", () => {
    const program = `import { readlinkSync } from 'node:fs';
      import { listenFds } from ${JSON.stringify(libraryEntry)};
      const links = [3, 4].map((n) => readlinkSync('/proc/self/fd/' + n));
      let result;
      try { result = { fds: listenFds() }; } catch (e) { result = { code: e.code, subject: e.subject, error: e.message }; }
      process.stdout.write(JSON.stringify({ ...result, links, left: process.env.LISTEN_FDS ?? null }) + '\\n');`;
    // A wrapper that names itself in LISTEN_PID and then execs node, with no fd beyond stdio.
    const result = spawnSync(
      'sh',
      ['-c', 'exec env LISTEN_PID=$$ LISTEN_FDS=2 "$0" --input-type=module -e "$1"', process.execPath, program],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 20_000,
      },
    );
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout);
    // Node 20 puts a pipe at 4, Node 22 and 24 (libuv with io_uring) an io_uring instance.
    expect(out.links).toEqual(['anon_inode:[eventpoll]', expect.stringMatching(/^pipe:\[\d+\]$|^anon_inode:\[io_uring\]$/)]);
    expect(out.code).toBe('EBADF');
    expect(out.subject).toBe('LISTEN_FDS');
    expect(out.error).toContain('LISTEN_FDS=2: fd 3 is anon_inode:[eventpoll], which Node created for itself');
    expect(out.left).toBeNull();
  });

  it('a pipe the process did inherit (one end passed, as from the fd store) is handed out', () => {
    const program = `import { listenFds } from ${JSON.stringify(libraryEntry)};
      process.stdout.write(JSON.stringify(listenFds()) + '\\n');`;
    // python3 makes a pipe, puts its read end at fd 3, closes the write end and execs node in its own pid.
    const exec = [
      'import os, sys',
      'r, w = os.pipe()',
      'os.dup2(r, 3)',
      'os.set_inheritable(3, True)',
      'os.close(w)',
      'os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS="1", LISTEN_FDNAMES="stored")',
      'os.execv(sys.argv[1], sys.argv[1:])',
    ].join('\n');
    const result = spawnSync('python3', ['-c', exec, process.execPath, '--input-type=module', '-e', program], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual([{ fd: 3, name: 'stored' }]);
  });
});
