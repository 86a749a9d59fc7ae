// The unit files in units/, as scripts/install-units.sh installs them: structurally valid
// for systemd (no warnings either) and hardened to an exposure score of at most 1.5.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/index.js';

const SERVICES = ['socket-service.service', 'socket-service-accepted@.service', 'socket-service-inet@.service'];
const SOCKETS = ['socket-service.socket', 'socket-service-accepted.socket', 'socket-service-inet.socket'];
const MAX_EXPOSURE = 1.5;

let dest: string;

beforeAll(() => {
  dest = fs.mkdtempSync(path.join(os.tmpdir(), 'sdnode-units-'));
  execFileSync('bash', [path.join(REPO_ROOT, 'scripts/install-units.sh'), '--no-start', '--dest', dest], { stdio: 'pipe' });
});

afterAll(() => fs.rmSync(dest, { recursive: true, force: true }));

describe('unit files', () => {
  it('install-units.sh substitutes every placeholder', () => {
    expect(fs.readdirSync(dest).sort()).toEqual([...SERVICES, ...SOCKETS].sort());
    for (const unit of fs.readdirSync(dest)) {
      const text = fs.readFileSync(path.join(dest, unit), 'utf8');
      expect(text, unit).not.toMatch(/@NODE@|@REPO@/);
    }
    const execStart = fs.readFileSync(path.join(dest, 'socket-service.service'), 'utf8').match(/^ExecStart=(\S+) (\S+)$/m);
    expect(execStart?.[1]).toBe(fs.realpathSync(execFileSync('sh', ['-c', 'command -v node']).toString().trim()));
    expect(execStart?.[2]).toBe(path.join(fs.realpathSync(REPO_ROOT), 'packages/socket-service/dist/main.js'));
  });

  it('each socket listens on its own loopback port', () => {
    const ports = SOCKETS.map((unit) => fs.readFileSync(path.join(dest, unit), 'utf8').match(/^ListenStream=(.*)$/m)?.[1]);
    expect(ports).toEqual(['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003']);
  });

  it('systemd-analyze verify passes with no warnings', () => {
    const result = spawnSync('systemd-analyze', ['verify', ...[...SOCKETS, ...SERVICES].map((u) => path.join(dest, u))], {
      encoding: 'utf8',
      cwd: dest,
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it.each(SERVICES)(`%s has a systemd-analyze security exposure of at most ${MAX_EXPOSURE}`, (unit) => {
    const result = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', path.join(dest, unit)], { encoding: 'utf8' });
    const score = result.stdout.match(/Overall exposure level for \S+: (\d+\.\d+)/)?.[1];
    expect(score, result.stdout + result.stderr).toBeDefined();
    console.log(`systemd-analyze security: ${unit} ${score}`);
    expect(Number(score)).toBeLessThanOrEqual(MAX_EXPOSURE);
    // V8 compiles code at run time: writable+executable memory must stay allowed.
    expect(fs.readFileSync(path.join(dest, unit), 'utf8')).not.toMatch(/^MemoryDenyWriteExecute=(yes|true|1)/m);
  });
});
