// Runs the README's `sdnode activate` commands as written ("Where systemd-socket-activate stops
// short"): the idle exit followed by re-activation, with sdnode's lines compared to the README's,
// and the fd-store handover across a --watch restart. The markers are described in CONTRIBUTING.md
// ("How the docs are tested").
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, freePort, REPO_ROOT, Running, skippedFor } from './support/index.js';
import { ALL, README_PORT, outputAfter } from './tutorial-blocks.js';

const run = promisify(execFile);
const started = new Set<Running>();

/**
 * Starts an sdnode block as written, on a free port in place of the one it shows, with `pnpm`
 * defined as the README's set-up defines it (scripts/pnpm.sh); resolves once sdnode listens. In a
 * process group of its own: pnpm runs sdnode, which runs the daemon, and a stop ends them all.
 */
async function startSdnode(body: string): Promise<{ sdnode: Running; port: number }> {
  const port = await freePort();
  const command = `source scripts/pnpm.sh\n${body.replace(README_PORT, String(port))}`;
  const sdnode = new Running('bash', ['-c', command], { cwd: REPO_ROOT, env: cleanEnv(), detached: true });
  started.add(sdnode);
  const listening = await sdnode.waitForStderr(/ sdnode +listening on 127\.0\.0\.1:\d+ as fd 3$/m, 90_000);
  expect(listening, sdnode.stderr).toBe(true);
  expect(sdnode.stderr).toContain(`listening on 127.0.0.1:${port} as fd 3`);
  return { sdnode, port };
}

/** SIGTERM to the process group the test started, SIGKILL if it has not gone after 10 s. */
async function stopGroup(group: Running): Promise<void> {
  const signal = (name: NodeJS.Signals): void => {
    if (group.alive) process.kill(-group.pid, name);
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 10_000);
  await group.exited;
  clearTimeout(timer);
  started.delete(group);
}

afterEach(async () => {
  await Promise.all([...started].map(stopGroup));
});

const SDNODE_LINE = /^\d\d:\d\d:\d\d\.\d{3} (?:sdnode|pid \d+) +/;

/**
 * sdnode's own lines (the daemon's log lines between them left out), with what varies replaced: the
 * time by TIME, each pid by PID1, PID2, … in the order they first appear (so two pids stay two).
 */
function normalized(text: string): string[] {
  const pids = new Map<string, string>();
  return text
    .split('\n')
    .filter((line) => SDNODE_LINE.test(line))
    .map((line) =>
      line.replace(/^\d\d:\d\d:\d\d\.\d{3} (sdnode|pid (\d+)) +/, (_all, who: string, pid: string | undefined) => {
        if (pid === undefined) return `TIME ${who} `;
        if (!pids.has(pid)) pids.set(pid, `PID${pids.size + 1}`);
        return `TIME ${pids.get(pid)} `;
      }),
    );
}

function marked(marker: string): [number, string] {
  const i = ALL.findIndex((b) => b.marker === marker);
  expect(i, `README block marked <!-- ${marker} -->`).toBeGreaterThanOrEqual(0);
  return [i, ALL[i]?.body ?? ''];
}

const README = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const noNc = skippedFor('nc');

describe('README: sdnode activate', () => {
  it.skipIf(noNc)(
    `sdnode-reactivate: serves, exits when idle, starts the daemon again at the next connection, and prints what the README shows${noNc}`,
    async () => {
      const [i, body] = marked('tutorial: sdnode-reactivate');
      const expected = outputAfter(i);
      expect(expected).toBeDefined();
      const { sdnode, port } = await startSdnode(body);
      // "Connect twice, a few seconds apart": the second once the first daemon has exited.
      const connect = `nc 127.0.0.1 ${port} </dev/null`;
      expect(README).toContain(`(\`${connect.replace(String(port), '3000')}\`)`);
      expect((await run('bash', ['-c', connect], { timeout: 30_000 })).stdout).toBe('This is a test\n');
      expect(await sdnode.waitForStderr(/ exited with status 0$/m, 30_000), sdnode.stderr).toBe(true);
      expect((await run('bash', ['-c', connect], { timeout: 30_000 })).stdout).toBe('This is a test\n');
      const wanted = normalized((expected ?? '').replace(README_PORT, String(port)));
      const twoStarts = /started \(connection[\s\S]* started \(connection/;
      expect(await sdnode.waitForStderr(twoStarts, 30_000), sdnode.stderr).toBe(true);
      expect(normalized(sdnode.stderr).slice(0, wanted.length)).toEqual(wanted);
      // Re-activation: a second daemon, not the first one still running.
      const pids = new Set([...sdnode.stderr.matchAll(/pid (\d+) +started/g)].map((m) => m[1]));
      expect(pids.size).toBe(2);
    },
    120_000,
  );

  it('sdnode-handover: a client stays connected across a --watch restart and is answered by the new daemon, as a new client is', async () => {
    const [, body] = marked('tutorial: sdnode-handover');
    const touch = 'touch examples/fd-store-handover/server.mjs';
    expect(README).toContain(`(\`${touch}\`)`);
    const { sdnode, port } = await startSdnode(body);
    const client = await connected(port);
    const first = /^(\d+): one\n$/.exec(await ask(client, 'one\n'));
    expect(first, 'the first answer starts with the daemon pid').not.toBeNull();
    expect(sdnode.stderr).toMatch(new RegExp(`pid ${first?.[1]} +started \\(connection`));
    // Once the daemon is ready: a change before it would only mean the next connection starts the new code.
    expect(await sdnode.waitForStderr(/ ready; status: Serving; 0 connections/, 30_000), sdnode.stderr).toBe(true);
    await run('bash', ['-c', touch], { cwd: REPO_ROOT, timeout: 10_000 });
    // "Type again" once the restart is done, as a reader would after sdnode's lines about it.
    expect(await sdnode.waitForStderr(/ examples\/fd-store-handover changed: restarting \(SIGTERM\)/, 30_000), sdnode.stderr).toBe(true);
    expect(await sdnode.waitForStderr(/ ready; status: Serving; 1 connection taken over /, 30_000), sdnode.stderr).toBe(true);
    const second = /^(\d+): two\n$/.exec(await ask(client, 'two\n'));
    expect(second, 'the answer after the restart').not.toBeNull();
    expect(second?.[1]).not.toBe(first?.[1]);
    expect(sdnode.stderr).toMatch(new RegExp(`pid ${second?.[1]} +started \\(restart\\): .*LISTEN_FDNAMES=listener:handover\\)`));
    expect(sdnode.stderr).toMatch(new RegExp(`pid ${second?.[1]} +ready; status: Serving; 1 connection taken over`));
    expect(client.destroyed).toBe(false);
    // A new client is served by the new daemon as well.
    const fresh = await connected(port);
    expect(await ask(fresh, 'three\n')).toBe(`${second?.[1]}: three\n`);
    fresh.destroy();
    client.destroy();
  }, 120_000);
});

function connected(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.setEncoding('utf8');
    socket.once('error', reject);
  });
}

/** Writes `line` and resolves with the answer, up to its newline; at most 30 s. */
function ask(socket: net.Socket, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const done = (error?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (chunk: string): void => {
      answer += chunk;
      if (answer.endsWith('\n')) done();
    };
    const onClose = (): void =>
      done(new Error(`connection closed before an answer to ${JSON.stringify(line)} (got ${JSON.stringify(answer)})`));
    const timer = setTimeout(() => done(new Error(`no answer to ${JSON.stringify(line)} in 30 s (got ${JSON.stringify(answer)})`)), 30_000);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(line);
  });
}
