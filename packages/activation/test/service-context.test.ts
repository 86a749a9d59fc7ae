import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invocationId, isBooted, isBootedAt, underSystemd } from '../src/service-context.js';
import { assertBuilt, firstJson, fixture, isRoot, start, tempDir } from '../../../test/support/index.js';

const ID = '0123456789abcdef0123456789abcdef';

describe('invocationId', () => {
  it('returns INVOCATION_ID when it is 32 lowercase hex digits', () => {
    expect(invocationId({ INVOCATION_ID: ID })).toBe(ID);
  });

  it.each([undefined, '', ID.toUpperCase(), ID.slice(1), `${ID}0`, '01234567-89ab-cdef-0123-456789abcdef', `${ID.slice(1)}g`, ` ${ID}`])(
    'ignores %j (absent or not what systemd sets) → undefined',
    (value) => {
      expect(invocationId(value === undefined ? {} : { INVOCATION_ID: value })).toBeUndefined();
    },
  );

  it('reads process.env by default', () => {
    const saved = process.env.INVOCATION_ID;
    try {
      process.env.INVOCATION_ID = ID;
      expect(invocationId()).toBe(ID);
      delete process.env.INVOCATION_ID;
      expect(invocationId()).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.INVOCATION_ID;
      else process.env.INVOCATION_ID = saved;
    }
  });
});

describe('isBooted', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('true when the marker is a directory, false when absent or a file', () => {
    fs.mkdirSync(path.join(dir, 'system'));
    fs.writeFileSync(path.join(dir, 'file'), '');
    expect(isBootedAt(path.join(dir, 'system'))).toBe(true);
    expect(isBootedAt(path.join(dir, 'absent'))).toBe(false);
    expect(isBootedAt(path.join(dir, 'file'))).toBe(false);
  });

  it('isBooted() checks /run/systemd/system', () => {
    const marker = fs.statSync('/run/systemd/system', { throwIfNoEntry: false });
    expect(isBooted()).toBe(marker?.isDirectory() === true);
  });

  it.skipIf(!isRoot)('in a mount namespace with and without /run/systemd/system (unshare -m; needs root)', () => {
    assertBuilt();
    const script = (withMarker: boolean): string =>
      `mount -t tmpfs tmpfs /run && ${withMarker ? 'mkdir -p /run/systemd/system && ' : ''}exec node ${JSON.stringify(fixture('activation', 'service.mjs'))}`;
    for (const withMarker of [true, false]) {
      const result = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script(withMarker)], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout).isBooted).toBe(withMarker);
    }
  });
});

describe('underSystemd', () => {
  const pid = 4242;

  it('false without evidence: inherited INVOCATION_ID/NOTIFY_SOCKET alone prove nothing', () => {
    expect(underSystemd({}, pid)).toBe(false);
    const noSuchProcess = 2 ** 22 + 1; // above the kernel's pid_max limit
    expect(underSystemd({ INVOCATION_ID: ID, NOTIFY_SOCKET: '/run/systemd/notify' }, noSuchProcess)).toBe(false);
  });

  it('true when LISTEN_PID or WATCHDOG_PID names this process, false for another', () => {
    expect(underSystemd({ LISTEN_PID: String(pid) }, pid)).toBe(true);
    expect(underSystemd({ WATCHDOG_PID: String(pid) }, pid)).toBe(true);
    expect(underSystemd({ LISTEN_PID: String(pid + 1) }, pid)).toBe(false);
  });

  it('SYSTEMD_EXEC_PID (systemd ≥ 248) decides when set: ours → true, a parent’s → false', () => {
    expect(underSystemd({ SYSTEMD_EXEC_PID: String(pid), INVOCATION_ID: ID }, pid)).toBe(true);
    expect(underSystemd({ SYSTEMD_EXEC_PID: String(pid - 1), INVOCATION_ID: ID }, pid)).toBe(false);
  });

  const cgroupRoot = '/sys/fs/cgroup/systemd';
  it.skipIf(!isRoot || !fs.existsSync(path.join(cgroupRoot, 'cgroup.procs')))(
    'without SYSTEMD_EXEC_PID: the process in a .service cgroup whose parent is outside is the service; its child is not (needs root)',
    async () => {
      assertBuilt();
      const group = path.join(cgroupRoot, `sdnode-test-${process.pid}-${Date.now()}`);
      const service = path.join(group, 'fake.service');
      fs.mkdirSync(service, { recursive: true });
      let r: ReturnType<typeof start> | undefined;
      try {
        r = start(
          ['sh', '-c', `echo $$ > ${service}/cgroup.procs && exec node ${JSON.stringify(fixture('activation', 'service.mjs'))} child`],
          0,
          {
            INVOCATION_ID: ID,
            NOTIFY_SOCKET: '/run/sdnode-test-notify',
          },
        );
        const out = await firstJson(r.stdout);
        expect(await r.exited).toBe(0);
        expect(out).toMatchObject({ underSystemd: true, invocationId: ID, child: { underSystemd: false, invocationId: ID } });
      } finally {
        r?.kill();
        await r?.exited;
        fs.rmdirSync(service);
        fs.rmdirSync(group);
      }
    },
  );
});
