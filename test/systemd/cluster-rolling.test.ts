// examples/cluster under a real systemd manager: `systemctl reload` (ExecReload=kill -HUP $MAINPID on
// a Type=notify service, as systemd 252 has no Type=notify-reload) rolls every worker over while a
// client storm runs: no connection refused or reset, every worker pid new, the primary the same,
// the unit active (running) with a STATUS saying the roll is done. And when every worker dies at
// once (node:cluster then closes the activated socket in the primary) the primary exits 1 and the
// manager starts the service again on its socket.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/index.js';
import { Bed, REPO_IN_BED, skipReason } from './harness.js';

const reason = skipReason();
if (reason) console.log(`skipped: ${reason}`);
const suite = reason ? describe.skip : describe;

const PORT = 7020; // examples/cluster/cluster.socket
const SERVICE = 'cluster.service';
const EXAMPLE = `${REPO_IN_BED}/examples/cluster`;

/** GET / over a fresh connection: the answering worker's pid, or what went wrong (an errno code, "eof …"). */
function askPid(timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect({ port: PORT, host: '127.0.0.1' });
    const finish = (outcome: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
    socket.on('data', (d: string) => (data += d));
    socket.on('end', () => finish(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n(\d+)\n$/.exec(data)?.[1] ?? `eof after ${JSON.stringify(data)}`));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
  });
}

suite('examples/cluster under a real systemd manager', () => {
  let bed: Bed;

  beforeAll(async () => {
    bed = await Bed.boot({ ports: [PORT], needs: ['packages/activation/dist/index.js'] });
    await bed.exec([
      'sh',
      '-c',
      `cp ${EXAMPLE}/cluster.socket /etc/systemd/system/ && ` +
        `sed -e 's|@NODE@|/usr/bin/node|' -e 's|@REPO@|${REPO_IN_BED}|' ${EXAMPLE}/${SERVICE} > /etc/systemd/system/${SERVICE}`,
    ]);
    await bed.systemctl('daemon-reload');
    await bed.systemctl('start', 'cluster.socket');
  }, 120_000);

  afterAll(async () => {
    const problems = await bed?.shutdown();
    expect(problems ?? []).toEqual([]);
  }, 60_000);

  const show = () => bed.show(SERVICE, ['ActiveState', 'SubState', 'MainPID', 'StatusText', 'NRestarts']);
  /** The primary's children, read inside the container (whose pid namespace the answers' pids are in). */
  const workers = async (mainPid: string | undefined): Promise<string[]> =>
    (await bed.exec(['pgrep', '-P', String(mainPid)], { allowFailure: true })).stdout.split('\n').filter(Boolean).sort();

  it.each(['rr', 'none'] as const)(
    'NODE_CLUSTER_SCHED_POLICY=%s: systemctl reload replaces every worker one at a time under a client storm: none refused or reset',
    async (policy) => {
      await bed.systemctl('stop', SERVICE);
      await bed.dropIn(SERVICE, 'policy', `[Service]\nEnvironment=NODE_CLUSTER_SCHED_POLICY=${policy}\n`);
      // The first connection starts the service; READY=1 comes once both workers listen.
      expect(await askPid()).toMatch(/^\d+$/);
      const before = await waitFor('active (running) with both workers', async () => {
        const s = await show();
        return s.SubState === 'running' && s.StatusText === '2 of 2 workers listening' ? s : undefined;
      });
      const old = await workers(before.MainPID);
      expect(old).toHaveLength(2);

      const outcomes: string[] = [];
      let rolled = false;
      const storm = Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 500 && !rolled; i++) outcomes.push(await askPid());
      });
      await bed.systemctl('reload', SERVICE);
      // On 252 the reload job ends when `kill -HUP` exits ("Reloaded" is logged before the new
      // workers listen); RELOADING=1 from the primary then puts the unit back into reloading until
      // READY=1. So the end of the roll is read from the status.
      const after = await waitFor(
        'the rolling restart to be done',
        async () => {
          const s = await show();
          return s.SubState === 'running' && /rolling restart done/.test(s.StatusText ?? '') ? s : undefined;
        },
        60_000,
      );
      // A few more rounds against the new workers alone, then the storm ends.
      const settled = outcomes.length;
      await waitFor('requests after the roll', () => (outcomes.length >= settled + 40 ? true : undefined), 30_000);
      rolled = true;
      await Promise.all(storm);

      const lost = outcomes.filter((outcome) => !/^\d+$/.test(outcome));
      const count = (code: string): number => lost.filter((outcome) => outcome === code).length;
      console.log(
        `${policy}: cluster.service reload under ${outcomes.length} connections: ${count('ECONNREFUSED')} refused, ${count('ECONNRESET')} reset, ${lost.length} lost`,
      );
      expect(lost, `of ${outcomes.length} connections`).toEqual([]);
      expect(after).toEqual({
        ActiveState: 'active',
        SubState: 'running',
        MainPID: before.MainPID,
        StatusText: '2 of 2 workers listening; rolling restart done: replaced 2 workers',
        NRestarts: '0',
      });
      const renewed = await workers(after.MainPID);
      expect(renewed).toHaveLength(2);
      expect(renewed.filter((pid) => old.includes(pid))).toEqual([]);
      // Every answer came from a worker of this primary: an old one, then a new one.
      expect([...new Set(outcomes)].every((pid) => old.includes(pid) || renewed.includes(pid))).toBe(true);
      expect(outcomes.slice(-8).every((pid) => renewed.includes(pid))).toBe(true);

      await bed.exec(['journalctl', '--sync']);
      const journal = await bed.journal(SERVICE);
      expect(journal).toMatch(/^Reloading cluster\.service - cluster example/m);
      expect(journal).toMatch(/^Reloaded cluster\.service - cluster example/m);
      for (const pid of renewed) expect(journal).toContain(`worker ${pid}: listening on the activated socket`);
      expect(await bed.systemctl('is-active', SERVICE)).toBe('active\n');
      await bed.removeDropIn(SERVICE, 'policy');
      await bed.systemctl('stop', SERVICE);
    },
    120_000,
  );

  it('all workers killed at once: the primary exits 1 saying why, and the socket starts the service again', async () => {
    expect(await askPid()).toMatch(/^\d+$/);
    const before = await waitFor('active (running) with both workers', async () => {
      const s = await show();
      return s.SubState === 'running' && /^2 of 2 workers listening/.test(s.StatusText ?? '') ? s : undefined;
    });
    const old = await workers(before.MainPID);
    expect(old).toHaveLength(2);
    await bed.exec(['kill', '-KILL', ...old]);
    await waitFor('the primary to exit', async () => ((await show()).MainPID !== before.MainPID ? true : undefined), 30_000);
    // The next connection starts a new primary on the socket the manager kept.
    const answer = await waitFor('an answer from a new worker', async () => {
      const outcome = await askPid();
      return /^\d+$/.test(outcome) && !old.includes(outcome) ? outcome : undefined;
    });
    const after = await waitFor('active (running) again', async () => {
      const s = await show();
      return s.SubState === 'running' && s.StatusText === '2 of 2 workers listening' ? s : undefined;
    });
    expect(after.MainPID).not.toBe(before.MainPID);
    expect(await workers(after.MainPID)).toContain(answer);
    await bed.exec(['journalctl', '--sync']);
    const journal = await bed.journal(SERVICE);
    expect(journal).toContain(
      '[SDNODE_CLUSTER] Warning: node:cluster closed the activated socket fd 3 as its last worker exited; no new worker can listen on it: exiting with status 1',
    );
    expect(journal).toMatch(/^cluster\.service: Main process exited, code=exited, status=1\/FAILURE$/m);
  }, 120_000);
});
