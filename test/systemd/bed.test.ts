// The test bed itself: boots a real manager in its own cgroup, activates a unit of its own, and leaves
// nothing behind (no cgroup, mount, process or staging directory).
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { request, waitFor } from '../support/index.js';
import { Bed, REPO_IN_BED, skipReason } from './harness.js';

const reason = skipReason();
if (reason) console.log(`skipped: ${reason}`);
const suite = reason ? describe.skip : describe;

const PORT = 7009;

suite('systemd test bed', () => {
  it('boots a manager in a cgroup of its own, activates a socket unit, and cleans up completely', async () => {
    const cgroupBefore = fs.readFileSync('/proc/self/cgroup', 'utf8');
    const bed = await Bed.boot({ ports: [PORT] });
    let problems: string[] = [];
    try {
      const ours = fs.readFileSync('/proc/self/cgroup', 'utf8');
      expect(ours).toContain(bed.machine);
      expect(fs.readFileSync(`/proc/${bed.pid1}/cgroup`, 'utf8')).toContain(`/${bed.machine}/payload`);
      expect((await bed.exec(['cat', `${REPO_IN_BED}/package.json`])).stdout).toContain('"name": "sdnode"');

      // A unit of the bed's own, independent of the daemons: node answers on the inherited fd 3.
      await bed.writeFile('/etc/systemd/system/bed-probe.socket', `[Socket]\nListenStream=127.0.0.1:${PORT}\n`);
      await bed.writeFile(
        '/etc/systemd/system/bed-probe.service',
        [
          '[Service]',
          'DynamicUser=yes',
          `ExecStart=/usr/bin/node -e "require('net').createServer(c => c.end('probe ' + process.env.LISTEN_FDNAMES + '\\\\n')).listen({fd: 3})"`,
          '',
        ].join('\n'),
      );
      await bed.systemctl('daemon-reload');
      await bed.systemctl('start', 'bed-probe.socket');
      expect((await bed.show('bed-probe.socket', ['ActiveState'])).ActiveState).toBe('active');
      expect((await bed.show('bed-probe.service', ['ActiveState'])).ActiveState).toBe('inactive');
      expect(await request(PORT)).toBe('probe bed-probe.socket\n');
      await waitFor('bed-probe.service active', async () =>
        (await bed.show('bed-probe.service', ['ActiveState'])).ActiveState === 'active' ? true : undefined,
      );
    } finally {
      problems = await bed.shutdown();
    }
    expect(problems).toEqual([]);
    expect(fs.readFileSync('/proc/self/cgroup', 'utf8')).toBe(cgroupBefore);
    for (const root of ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified']) {
      expect(fs.existsSync(`${root}/${bed.machine}`)).toBe(false);
    }
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(bed.machine);
  }, 120_000);
});
