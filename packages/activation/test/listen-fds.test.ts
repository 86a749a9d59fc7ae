import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemdError } from '../src/errors.js';
import { listenFds, SD_LISTEN_FDS_START } from '../src/listen-fds.js';
import { activate, assertBuilt, firstJson, fixture, knock } from './helpers/activate.js';
import { thrown } from './helpers/thrown.js';

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

  it.each(['abc', '', ' 1', '+5', '0x10', '-1', '0', '1.5'])('garbage LISTEN_PID %j → EINVAL naming LISTEN_PID and the value', (value) => {
    const e = env({ LISTEN_PID: value, LISTEN_FDS: '1' });
    const error = thrown(() => listenFds({ env: e, pid }));
    expect(error.code).toBe('EINVAL');
    expect(error.variable).toBe('LISTEN_PID');
    expect(error.value).toBe(value);
    expect(error.message).toContain(`LISTEN_PID=${JSON.stringify(value)}`);
    expect(e).toEqual({ UNRELATED: 'kept' });
  });

  it('LISTEN_FDS absent → no fds', () => {
    const e = env({ LISTEN_PID: String(pid) });
    expect(listenFds({ env: e, pid })).toEqual([]);
    expect(e).toEqual({ UNRELATED: 'kept' });
  });

  it.each(['0', '-1', 'two', '', ' 1', '+1', '0x2', '1e1', '99999999999999999999'])('LISTEN_FDS=%j → EINVAL naming LISTEN_FDS', (value) => {
    const e = env({ LISTEN_PID: String(pid), LISTEN_FDS: value });
    const error = thrown(() => listenFds({ env: e, pid }));
    expect(error.code).toBe('EINVAL');
    expect(error.variable).toBe('LISTEN_FDS');
    expect(error.value).toBe(value);
    expect(e).toEqual({ UNRELATED: 'kept' });
  });

  it('an fd in range that is not open → EBADF naming that fd', () => {
    const closed = closedFd();
    expect(isOpen(closed)).toBe(false);
    const e = env({ LISTEN_PID: String(pid), LISTEN_FDS: String(closed - SD_LISTEN_FDS_START + 1) });
    const error = thrown(() => listenFds({ env: e, pid }));
    expect(error.code).toBe('EBADF');
    expect(error.variable).toBe('LISTEN_FDS');
    expect(error.message).toContain(`fd ${closed} is not open`);
    expect(e).toEqual({ UNRELATED: 'kept' });
  });

  it('LISTEN_FDNAMES absent → every fd is named "unknown"', () => {
    const e = env({ LISTEN_PID: String(pid), LISTEN_FDS: '2' });
    expect(listenFds({ env: e, pid })).toEqual([
      { fd: 3, name: 'unknown' },
      { fd: 4, name: 'unknown' },
    ]);
    expect(e).toEqual({ UNRELATED: 'kept' });
  });

  it('LISTEN_FDNAMES is split on ":" keeping empty fields', () => {
    const e = env({ LISTEN_PID: String(pid), LISTEN_FDS: '3', LISTEN_FDNAMES: 'a::b' });
    expect(listenFds({ env: e, pid })).toEqual([
      { fd: 3, name: 'a' },
      { fd: 4, name: '' },
      { fd: 5, name: 'b' },
    ]);
  });

  it('names need not be unique', () => {
    const e = env({ LISTEN_PID: String(pid), LISTEN_FDS: '2', LISTEN_FDNAMES: 'web:web' });
    expect(listenFds({ env: e, pid }).map((f) => f.name)).toEqual(['web', 'web']);
  });

  it.each([
    ['a:b:c', 2, 3],
    ['a', 2, 1],
    ['a::', 2, 3],
  ])('LISTEN_FDNAMES=%j with LISTEN_FDS=%i → error naming LISTEN_FDNAMES and both counts', (names, count, nameCount) => {
    const e = env({ LISTEN_PID: String(pid), LISTEN_FDS: String(count), LISTEN_FDNAMES: names });
    const error = thrown(() => listenFds({ env: e, pid }));
    expect(error.code).toBe('EINVAL');
    expect(error.variable).toBe('LISTEN_FDNAMES');
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

describe('listenFds on process.env under systemd-socket-activate', () => {
  beforeAll(assertBuilt);

  it.each([[[]], [['keep']]])('reads once, removes the variables, and remembers the fds for the process (%j)', async (args) => {
    const run = await activate((port) => ['-l', `127.0.0.1:${port}`, '--fdname=web'], ['node', fixture('fixture-listenfds.mjs'), ...args]);
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
});
