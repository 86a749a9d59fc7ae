// A socket unit's Backlog= survives the service adopting the socket: Node listens again on an fd it
// adopts (with 511 unless told otherwise), and listenAll() passes the socket's own backlog instead.
// The shipped socket-service (PrivateNetwork=yes: the socket is of another network namespace) under
// a real manager; the bed shares the host's network, so `ss` here sees the unit's listener.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAnswer, waitFor } from '../support/index.js';
import { Bed, skipReason } from './harness.js';

const hasSs = spawnSync('ss', ['-V'], { stdio: 'ignore' }).status === 0;
const reason = skipReason() ?? (hasSs ? undefined : 'ss is not installed (apt-get install iproute2)');
if (reason) console.log(`skipped: ${reason}`);
const suite = reason ? describe.skip : describe;

const PORT = 7001;
const SOCKET = 'socket-service.socket';
const SERVICE = 'socket-service.service';

/** The listen(2) backlog of the listener on PORT, as the kernel reports it (Send-Q of a listener). */
function kernelBacklog(): number {
  const out = spawnSync('ss', ['-H', '-ltn', `sport = :${PORT}`], { encoding: 'utf8' }).stdout;
  const sendQ = Number(out.trim().split(/\s+/)[2]);
  if (!Number.isInteger(sendQ)) throw new Error(`no listener on ${PORT} in ss output: ${JSON.stringify(out)}`);
  return sendQ;
}

suite('Backlog= of a socket unit, before and after the service adopts the socket', () => {
  let bed: Bed;

  beforeAll(async () => {
    bed = await Bed.boot({
      ports: [PORT],
      needs: ['packages/activation/dist/index.js', 'scripts/install-units.sh', 'packages/socket-service/dist/main.js'],
    });
    console.log((await bed.installUnits()).trim());
  }, 120_000);

  afterAll(async () => {
    expect((await bed?.shutdown()) ?? []).toEqual([]);
  }, 60_000);

  it.each([
    ['unset', undefined],
    ['4096', 4096],
    ['100', 100],
  ])('Backlog= %s: the backlog stays once the service serves', async (_label, backlog) => {
    await bed.systemctl('stop', SERVICE, SOCKET);
    if (backlog !== undefined) await bed.dropIn(SOCKET, 'test-backlog', `[Socket]\nBacklog=${backlog}\n`);
    try {
      await bed.systemctl('start', SOCKET);
      // Backlog= unset: systemd's default, which the kernel caps at net.core.somaxconn as any other.
      const configured = Number((await bed.show(SOCKET, ['Backlog'])).Backlog);
      const somaxconn = Number((await bed.exec(['cat', '/proc/sys/net/core/somaxconn'])).stdout);
      const before = kernelBacklog();
      expect(before).toBe(Math.min(configured, somaxconn));
      expect(await fetchAnswer({ port: PORT, host: '127.0.0.1' })).toEqual({ data: 'This is a test\n' });
      await waitFor(
        `${SERVICE} active`,
        async () => ((await bed.show(SERVICE, ['ActiveState'])).ActiveState === 'active' ? true : undefined),
        30_000,
      );
      const after = kernelBacklog();
      console.log(`Backlog=${configured} (somaxconn ${somaxconn}): ${before} before the service, ${after} once it serves`);
      expect(after).toBe(before);
    } finally {
      await bed.systemctl('stop', SERVICE, SOCKET);
      if (backlog !== undefined) await bed.removeDropIn(SOCKET, 'test-backlog');
    }
  });
});
