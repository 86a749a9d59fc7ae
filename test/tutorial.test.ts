// Runs the tutorial: the README's demo, each launch command and the systemd-socket-activate command
// it runs, and each server command of README.md and docs/*.md with its client command (the output
// must be what the docs show), the idle exit, and checks that every code excerpt is copied verbatim
// from the file it names. test/docs.test.ts checks that every shell block is marked. The markers
// are described in CONTRIBUTING.md ("How the docs are tested").
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, freePort, REPO_ROOT, request, Running, skippedFor, stopAll } from './support/index.js';
import type { Block } from './support/index.js';
import { ALL, BY_FILE, README_PORT, outputAfter } from './tutorial-blocks.js';

/** The demo listens on PORT, PORT+1 and PORT+2, shown as 3000–3002. */
const DEMO_PORT = /\b300[0-2]\b/g;

/** The client block for the server block i of `blocks`: the next one (a launch script and the command it runs share one). */
function clientAfter(i: number, blocks: Block[] = ALL): number {
  return blocks.findIndex((b, j) => j > i && b.marker === 'tutorial: client');
}

/**
 * Starts a server block as written, on a free port (PORT, and in place of the port it shows);
 * resolves once systemd-socket-activate listens.
 */
async function startServer(body: string): Promise<{ launcher: Running; port: number }> {
  const port = await freePort();
  const command = body.replace(README_PORT, String(port));
  const launcher = new Running('bash', ['-c', command], { cwd: REPO_ROOT, env: cleanEnv({ PORT: String(port) }) });
  expect(await launcher.waitForStderr(/^Listening on 127\.0\.0\.1:\d+ as 3\.$/m, 60_000), launcher.stderr).toBe(true);
  expect(launcher.stderr).toContain(`Listening on 127.0.0.1:${port} as 3.`);
  return { launcher, port };
}

/** The command line the process runs now, its paths made absolute and its port named PORT. */
function commandLine(pid: number, port: number): string[] {
  return fs
    .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .slice(0, -1)
    .map((arg) => (arg.startsWith('packages/') ? path.join(REPO_ROOT, arg) : arg).replace(String(port), 'PORT'));
}

const noActivate = skippedFor('systemd-socket-activate');

/** " (skipped: …)" when systemd-socket-activate or the client's command (nc, curl) is missing. */
function clientSkipped(client: string | undefined): string {
  return skippedFor('systemd-socket-activate', client?.trim().split(/\s/)[0] ?? 'nc');
}

function sh(script: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: REPO_ROOT,
    env: cleanEnv(env),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterEach(stopAll);

describe('README', () => {
  it('has a quick start of exactly two commands: the demo and the test suite', () => {
    const quick = ALL.filter((b) => b.marker === 'tutorial: quick-start');
    expect(quick).toHaveLength(1);
    expect(quick[0]?.body.trim().split('\n')).toEqual(['./scripts/demo.sh', './scripts/test.sh']);
    for (const script of ['scripts/demo.sh', 'scripts/test.sh']) {
      expect(fs.statSync(path.join(REPO_ROOT, script)).mode & 0o111, script).not.toBe(0);
    }
  });

  it('marks its runnable blocks: a demo, and three servers each with a client', () => {
    const markers = ALL.map((b) => b.marker).filter((m) => m?.startsWith('tutorial: ') && m !== 'tutorial: output');
    expect(markers).toEqual([
      'tutorial: quick-start',
      'tutorial: run',
      'tutorial: server',
      'tutorial: server',
      'tutorial: client',
      'tutorial: idle-exit',
      'tutorial: server',
      'tutorial: server',
      'tutorial: client',
      'tutorial: server',
      'tutorial: server',
      'tutorial: client',
      'tutorial: server',
      'tutorial: client',
      'tutorial: sdnode-reactivate',
      'tutorial: sdnode-handover',
    ]);
  });

  it('has an excerpt of each daemon', () => {
    const excerpted = new Set(ALL.filter((b) => b.marker?.startsWith('excerpt: ') && b.lang === 'ts').map((b) => b.marker));
    expect(excerpted).toEqual(
      new Set(['socket-service', 'socket-service-accepted', 'socket-service-inet'].map((d) => `excerpt: packages/${d}/src/main.ts`)),
    );
  });

  const runs = ALL.map((b, i) => [b, i] as const).filter(([b]) => b.marker === 'tutorial: run');
  it.skipIf(noActivate).each(runs.map(([b, i]) => [b.body.trim(), b, i] as const))(
    `\`%s\` runs and prints what the README shows${noActivate}`,
    async (_name, block, i) => {
      const base = await freePort(3); // the demo listens on PORT, PORT+1 and PORT+2
      const r = sh(block.body, { PORT: String(base) });
      expect(r.status, r.stderr).toBe(0);
      const expected = outputAfter(i);
      expect(expected).toBeDefined();
      const ports = (text: string): string => text.replace(DEMO_PORT, (p) => String(base + Number(p) - 3000));
      expect(r.stdout).toBe(ports(expected ?? ''));
    },
  );

  const servers = ALL.map((b, i) => [b, i] as const).filter(([b]) => b.marker === 'tutorial: server');
  const scripts = servers.filter(([b]) => b.body.startsWith('./scripts/launch-'));
  it('follows each launch script with the command it runs', () => {
    expect(scripts).toHaveLength(3);
    for (const [, i] of scripts) expect(ALL[i + 1]?.body, `README line ${ALL[i]?.line}`).toMatch(/^systemd-socket-activate /);
  });

  it.skipIf(noActivate).each(scripts.map(([b, i]) => [b.body.trim(), ALL[i + 1]?.body.trim(), b, ALL[i + 1]] as const))(
    `\`%s\` runs \`%s\`${noActivate}`,
    async (_script, _command, script, command) => {
      const ran = await startServer(script.body);
      const shown = await startServer(command?.body ?? '');
      expect(commandLine(ran.launcher.pid, ran.port)[0]).toBe('systemd-socket-activate');
      expect(commandLine(ran.launcher.pid, ran.port)).toEqual(commandLine(shown.launcher.pid, shown.port));
      await Promise.all([ran.launcher.stop(), shown.launcher.stop()]);
    },
  );

  const idle = ALL.filter((b) => b.marker === 'tutorial: idle-exit');
  it.skipIf(noActivate).each(idle.map((b) => [b.body.trim(), b] as const))(
    `\`%s\` serves, exits when idle, and then nothing listens${noActivate}`,
    async (_name, block) => {
      const timeoutMs = Number(/--idle-timeout=(\d+)/.exec(block.body)?.[1]) * 1000;
      expect(timeoutMs).toBeGreaterThan(0);
      const { launcher, port } = await startServer(block.body);
      expect(await request(port)).toBe('This is a test\n');
      expect(await launcher.waitForExit(timeoutMs + 20_000)).toEqual({ code: 0, signal: null });
      await expect(request(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    },
    60_000,
  );
});

const RUNNABLE = (b: Block): boolean => b.marker === 'tutorial: server' || b.marker?.startsWith('excerpt: ') === true;
describe.each(BY_FILE.filter(([, blocks]) => blocks.some(RUNNABLE)))('%s', (_file, blocks) => {
  const excerpts = blocks.filter((b) => b.marker?.startsWith('excerpt: '));
  it.each(excerpts.map((b) => [`${b.marker} (line ${b.line})`, b] as const))('%s is verbatim in that file', (_name, block) => {
    const file = path.join(REPO_ROOT, (block.marker ?? '').slice('excerpt: '.length));
    expect(fs.readFileSync(file, 'utf8')).toContain(block.body);
  });

  const servers = blocks.map((b, i) => [b, i] as const).filter(([b]) => b.marker === 'tutorial: server');
  for (const [server, i] of servers) {
    const client = blocks[clientAfter(i, blocks)];
    const skipped = clientSkipped(client?.body);
    it.skipIf(skipped !== '')(`\`${server.body.trim()}\` and its client give what the docs show${skipped}`, async () => {
      expect(client?.marker).toBe('tutorial: client');
      const expected = outputAfter(clientAfter(i, blocks), blocks);
      expect(expected).toBeDefined();
      const { launcher, port } = await startServer(server.body);
      const command = (client?.body ?? '').replace(README_PORT, String(port));
      expect(command).toContain(String(port));
      const r = sh(command);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(expected);
      await launcher.stop();
    });
  }
});
