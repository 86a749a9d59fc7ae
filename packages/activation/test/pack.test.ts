import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from './helpers/notify-receiver.js';

// The package as users get it: packed, installed into a fresh project with
// install scripts off and no network, then imported from ESM and CommonJS.

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(packageRoot, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'sdnode-pack-'));
const app = path.join(work, 'app');
let tarball: string;
let receiver: Receiver;

function newestMtime(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => statSync(path.join(entry.parentPath, entry.name)).mtimeMs),
  );
}

function pnpm(args: string[], cwd: string): string {
  return execFileSync('bash', ['-c', `source "${repoRoot}/scripts/pnpm.sh" && pnpm "$@"`, 'pnpm', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

beforeAll(async () => {
  // Build only when dist/ is missing or older than the sources it comes from.
  let built = 0;
  try {
    built = statSync(path.join(packageRoot, 'dist', 'index.cjs')).mtimeMs;
  } catch {}
  if (built < Math.max(newestMtime(path.join(packageRoot, 'src')), newestMtime(path.join(packageRoot, 'native')))) {
    pnpm(['run', 'build'], packageRoot);
  }
  pnpm(['pack', '--pack-destination', work], packageRoot);
  const packed = readdirSync(work).filter((name) => name.endsWith('.tgz'));
  expect(packed).toHaveLength(1);
  tarball = path.join(work, packed[0]!);

  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, version: '1.0.0' }));
  execFileSync('npm', ['install', '--ignore-scripts', '--offline', '--no-audit', '--no-fund', tarball], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  receiver = await startReceiver();
}, 300_000);

afterAll(async () => {
  await receiver?.stop();
  rmSync(work, { recursive: true, force: true });
});

function runNode(file: string, env: NodeJS.ProcessEnv): { pid: number; stdout: string; stderr: string; status: number | null } {
  const run = spawnSync(process.execPath, [file], { cwd: app, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { pid: run.pid!, stdout: run.stdout, stderr: run.stderr, status: run.status };
}

describe('packed @sdnode/activation', () => {
  it('contains dist, the prebuilt binaries, and no tests or sources', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
    for (const file of [
      'package/package.json',
      'package/dist/index.js',
      'package/dist/index.cjs',
      'package/dist/index.d.ts',
      'package/dist/index.d.cts',
      'package/prebuilds/linux-x64/sdnode.node',
      'package/prebuilds/linux-x64-musl/sdnode.node',
      'package/prebuilds/linux-arm64/sdnode.node',
    ]) {
      expect(files).toContain(file);
    }
    expect(files.filter((file) => /\/(test|src)\/|\.test\.|\.tmp$|node_modules/.test(file))).toEqual([]);
  });

  it('ESM import sends a notification through the native part', async () => {
    const script = path.join(app, 'esm.mjs');
    writeFileSync(script, `import { notify } from '@sdnode/activation';\nconsole.log(notify.ready('esm'));\n`);
    const run = runNode(script, { NOTIFY_SOCKET: receiver.address });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('true\n');
    const datagram = await receiver.next();
    // The trailing newline marks the native path (the systemd-notify fallback sends none).
    expect(datagram.data.toString()).toBe('READY=1\nSTATUS=esm\n');
    expect(datagram.pid).toBe(run.pid);
  });

  it('CommonJS require sends a notification through the native part', async () => {
    const script = path.join(app, 'cjs.cjs');
    writeFileSync(script, `const { notify } = require('@sdnode/activation');\nconsole.log(notify.status('cjs'));\n`);
    const run = runNode(script, { NOTIFY_SOCKET: receiver.address });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('true\n');
    const datagram = await receiver.next();
    expect(datagram.data.toString()).toBe('STATUS=cjs\n');
    expect(datagram.pid).toBe(run.pid);
  });

  it('adopts a socket under systemd-socket-activate and answers a client', async () => {
    const script = path.join(app, 'server.mjs');
    writeFileSync(
      script,
      `import net from 'node:net';
       import { listen, notify } from '@sdnode/activation';
       const server = net.createServer((connection) => {
         connection.end('hello from ' + process.pid + '\\n');
         server.close();
       });
       const listening = await listen(server);
       notify.ready('adopted fd ' + listening.fd);
       console.log(JSON.stringify(listening));
      `,
    );
    let answer: string | undefined;
    let output = '';
    let log = '';
    for (let attempt = 0; attempt < 10 && answer === undefined; attempt++) {
      const port = 20000 + Math.floor(Math.random() * 3000);
      const activator = spawn(
        'systemd-socket-activate',
        ['-l', `127.0.0.1:${port}`, '-E', `NOTIFY_SOCKET=${receiver.address}`, process.execPath, script],
        { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      output = '';
      log = '';
      activator.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      activator.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
      const exited = new Promise<void>((resolve) => activator.once('exit', () => resolve()));
      let gone = false;
      void exited.then(() => (gone = true));
      try {
        // Poll until systemd-socket-activate listens (bounded); the first connection starts node.
        for (let i = 0; i < 200 && !gone && answer === undefined; i++) {
          answer = await new Promise<string | undefined>((resolve) => {
            const client = net.connect(port, '127.0.0.1');
            let data = '';
            client.on('data', (chunk) => (data += chunk.toString()));
            client.on('end', () => resolve(data));
            client.on('error', () => resolve(undefined));
            client.setTimeout(30_000, () => {
              client.destroy();
              resolve(undefined);
            });
          });
          if (answer === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        if (answer !== undefined) await exited;
      } finally {
        if (!gone) activator.kill('SIGKILL');
      }
      if (answer === undefined && !/Address already in use/.test(log)) break;
    }
    expect(log).toMatch(/Execing/);
    expect(output).toBe('{"activated":true,"fd":3,"name":"unknown"}\n');
    expect(answer).toMatch(/^hello from \d+\n$/);
    const datagram = await receiver.next();
    expect(datagram.data.toString()).toBe('READY=1\nSTATUS=adopted fd 3\n');
    expect(`hello from ${datagram.pid}\n`).toBe(answer);
  }, 120_000);
});
