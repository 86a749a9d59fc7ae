// examples/cluster/server.mjs under a real systemd-socket-activate: the workers serve on the
// primary's activated socket (the activating request included) under both scheduling policies,
// the primary alone tells a real datagram receiver READY/STATUS/STOPPING, a worker killed is
// replaced with no connection refused, SIGHUP rolls the workers over with no connection lost, and
// SIGTERM drains every worker before the primary exits 0.
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  activate,
  becomes,
  loopback,
  type Receiver,
  isAlive,
  REPO_ROOT,
  request,
  sleep,
  startReceiver,
  stopAll,
  unreadByServer,
} from '../support/index.js';

const SERVER = path.join(REPO_ROOT, 'examples', 'cluster', 'server.mjs');
let receiver: Receiver | undefined;
afterEach(async () => {
  await stopAll();
  await receiver?.stop();
  receiver = undefined;
});

function cluster(policy: 'rr' | 'none', env: Record<string, string> = {}): ReturnType<typeof activate> {
  const variables = { WORKERS: '2', NODE_CLUSTER_SCHED_POLICY: policy, ...env };
  return activate(
    (port) => [...Object.entries(variables).flatMap(([key, value]) => ['-E', `${key}=${value}`]), ...loopback(port)],
    [process.execPath, SERVER],
  );
}

/** The pid of the worker that answered GET / over a fresh connection. */
async function workerPid(port: number, timeoutMs = 20_000): Promise<number> {
  const send = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';
  const answer = await request(port, { send, timeoutMs });
  const pid = Number(/\r\n\r\n(\d+)\n$/.exec(answer)?.[1]);
  if (!Number.isInteger(pid)) throw new Error(`not an answer with a pid: ${JSON.stringify(answer)}`);
  return pid;
}

/**
 * Distinct worker pids seen in rounds of 8 concurrent requests until `enough` were seen or
 * `timeoutMs` passed. Bounded by time, not by rounds: a worker forked on activation may still be
 * starting on a loaded machine while the first answers every round. Concurrent: with
 * NODE_CLUSTER_SCHED_POLICY=none the kernel picks the worker, and one connection at a time mostly
 * goes to the worker that just served the last one.
 */
async function workersAnswering(port: number, enough: number, timeoutMs = 20_000): Promise<Set<number>> {
  const pids = new Set<number>();
  for (const deadline = Date.now() + timeoutMs; pids.size < enough && Date.now() < deadline; await sleep(50)) {
    for (const pid of await Promise.all(Array.from({ length: 8 }, () => workerPid(port)))) pids.add(pid);
  }
  return pids;
}

describe.each(['rr', 'none'] as const)('examples/cluster/server.mjs, NODE_CLUSTER_SCHED_POLICY=%s', (policy) => {
  it('serves the activating request and spreads the next over both workers; SIGTERM ends every worker, exit 0', async () => {
    const { process: primary, port } = await cluster(policy);
    const first = await workerPid(port);
    expect(first).not.toBe(primary.pid);
    const pids = await workersAnswering(port, 2);
    expect(pids.size).toBe(2);
    expect(pids.has(primary.pid)).toBe(false);
    primary.signal('SIGTERM');
    expect(await primary.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    expect([...pids].filter(isAlive)).toEqual([]);
  });

  it('on SIGTERM lets the request in flight finish in its worker before the primary exits 0', async () => {
    const { process: primary, port } = await cluster(policy);
    await workerPid(port);
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    const ended = new Promise((resolve, reject) => socket.once('end', resolve).once('error', reject));
    // The request without the blank line that ends its headers, read by a worker: in flight.
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await becomes(() => unreadByServer(port, socket.localPort ?? 0) === 0);
    expect(unreadByServer(port, socket.localPort ?? 0)).toBe(0);
    primary.signal('SIGTERM');
    await sleep(200);
    expect(primary.alive).toBe(true);
    socket.write('\r\n');
    await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n\d+\n$/);
    expect(await primary.waitForExit(10_000)).toEqual({ code: 0, signal: null });
  });

  it('replaces a worker killed with SIGKILL while a client storm refuses no connection', async () => {
    const { process: primary, port } = await cluster(policy);
    const before = await workersAnswering(port, 2);
    expect(before.size).toBe(2);
    const [victim] = before;
    const outcomes: string[] = [];
    const clients = 4;
    const storm = Array.from({ length: clients }, async () => {
      for (let i = 0; i < 50; i++) {
        outcomes.push(await workerPid(port, 3000).then(String, (error: NodeJS.ErrnoException) => error.code ?? error.message));
      }
    });
    process.kill(victim as number, 'SIGKILL');
    await Promise.all(storm);
    expect(outcomes.filter((outcome) => outcome === 'ECONNREFUSED')).toEqual([]);
    const after = await workersAnswering(port, 2);
    const replacement = [...after].filter((pid) => !before.has(pid));
    expect(after.has(victim as number)).toBe(false);
    expect(replacement).toHaveLength(1);
    // A connection the victim had accepted (or, round-robin, one the primary was handing to it) is
    // lost with it: each client has one in flight at a time, so at most `clients` of them.
    const lost = outcomes.filter((outcome) => !/^\d+$/.test(outcome));
    expect(lost.length, `lost: ${lost.join(', ')}`).toBeLessThanOrEqual(clients);
    expect(primary.alive).toBe(true);
  });
  it('on SIGHUP replaces every worker one at a time while a client storm loses no connection', async () => {
    const { process: primary, port } = await cluster(policy);
    const before = await workersAnswering(port, 2);
    expect(before.size).toBe(2);
    const outcomes: string[] = [];
    let rolled = false;
    const storm = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 2000 && !rolled; i++) {
        outcomes.push(await workerPid(port, 5000).then(String, (error: NodeJS.ErrnoException) => error.code ?? error.message));
      }
    });
    primary.signal('SIGHUP');
    // Done once no old worker is left (the new ones answer meanwhile): bounded by the poll below.
    for (let i = 0; i < 300 && [...before].some(isAlive); i++) await new Promise((r) => setTimeout(r, 100));
    rolled = true;
    await Promise.all(storm);
    expect([...before].filter(isAlive)).toEqual([]);
    const lost = outcomes.filter((outcome) => !/^\d+$/.test(outcome));
    console.log(`NODE_CLUSTER_SCHED_POLICY=${policy}: rolling restart under ${outcomes.length} requests, lost: ${lost.length}`);
    expect(lost, `of ${outcomes.length} requests`).toEqual([]);
    const after = await workersAnswering(port, 2);
    expect(after.size).toBe(2);
    expect([...after].filter((pid) => before.has(pid))).toEqual([]);
    expect(primary.alive).toBe(true);
  }, 60_000);
  it('when its last worker dies node:cluster closes the activated socket: the primary exits 1 saying so, not forking for ever', async () => {
    const { process: primary, port } = await cluster(policy, { WORKERS: '1' });
    process.kill(await workerPid(port), 'SIGKILL');
    expect(await primary.waitForExit(20_000)).toEqual({ code: 1, signal: null });
    expect(primary.stderr).toContain(
      '[SDNODE_CLUSTER] Warning: node:cluster closed the activated socket fd 3 as its last worker exited; no new worker can listen on it: exiting with status 1',
    );
  });
});

describe('examples/cluster/server.mjs and NOTIFY_SOCKET', () => {
  it('the primary alone sends STATUS with worker counts, READY once all listen, and STOPPING on SIGTERM', async () => {
    receiver = await startReceiver();
    const { process: primary, port } = await cluster('rr', { NOTIFY_SOCKET: receiver.address, WORKERS: '3' });
    // Activated by the first request: the workers start only then.
    const first = workerPid(port);
    const next = async (): Promise<string> => {
      const datagram = await (receiver as Receiver).next(20_000);
      expect(datagram.pid).toBe(primary.pid);
      return datagram.text;
    };
    expect([await next(), await next(), await next()]).toEqual([
      'STATUS=1 of 3 workers listening\n',
      'STATUS=2 of 3 workers listening\n',
      'READY=1\nSTATUS=3 of 3 workers listening\n',
    ]);
    await first;
    const victim = await workerPid(port);
    process.kill(victim, 'SIGKILL');
    expect(await next()).toBe(`STATUS=2 of 3 workers listening; worker ${victim} exited (SIGKILL), replacing it\n`);
    expect(await next()).toBe('STATUS=3 of 3 workers listening\n');
    primary.signal('SIGTERM');
    expect(await next()).toBe('STOPPING=1\nSTATUS=SIGTERM: draining 3 workers\n');
    expect(await primary.waitForExit(10_000)).toEqual({ code: 0, signal: null });
  });
});
