import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activate,
  ACTIVATION_ROOT,
  loopback,
  missingTools,
  type Receiver,
  REPO_ROOT,
  request,
  skippedFor,
  startReceiver,
} from '../../../test/support/index.js';

// The package as users get it: packed, installed into a fresh project with
// install scripts off and no network, then checked by the ecosystem's package
// linters and imported from ESM, CommonJS and TypeScript.

const packageRoot = ACTIVATION_ROOT;
const repoRoot = REPO_ROOT;
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

/** Runs a tool of the repository's node_modules/.bin; its output, with the exit code. */
function bin(name: string, args: string[], cwd: string): { status: number | null; output: string } {
  const run = spawnSync(path.join(repoRoot, 'node_modules', '.bin', name), args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function pnpm(args: string[], cwd: string): string {
  return execFileSync('bash', ['-c', `source "${repoRoot}/scripts/pnpm.sh" && pnpm "$@"`, 'pnpm', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

// Packing needs every prebuilt binary (prepack refuses otherwise), so every compiler.
const noCompilers = missingTools('gcc', 'musl-gcc', 'aarch64-linux-gnu-gcc');
const reason = noCompilers || missingTools('python3');

describe('the prepack guard', () => {
  const guard = path.join(packageRoot, 'native', 'check-prebuilds.mjs');

  it.skipIf(noCompilers)(`passes this package, whose prebuilt binaries are all there${noCompilers && ` (skipped: ${noCompilers})`}`, () => {
    const run = spawnSync(process.execPath, [guard], { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('refuses a package without the arm64 binary, naming it and the compiler package', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sdnode-guard-'));
    try {
      for (const target of ['linux-x64', 'linux-x64-musl']) {
        mkdirSync(path.join(dir, 'prebuilds', target), { recursive: true });
        writeFileSync(path.join(dir, 'prebuilds', target, 'sdnode.node'), '');
      }
      const run = spawnSync(process.execPath, [guard, dir], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toBe(
        '@sdnode/activation: not packing without every prebuilt binary; missing:\n' +
          '  prebuilds/linux-arm64/sdnode.node: needs aarch64-linux-gnu-gcc (Debian package gcc-aarch64-linux-gnu)\n' +
          'Install the compilers (sudo apt-get install gcc-aarch64-linux-gnu) and build again.\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is what pnpm pack runs first', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sdnode-guard-'));
    try {
      // The package without its prebuilds, packed as publishing would pack it.
      for (const file of ['package.json', 'README.md']) copyFileSync(path.join(packageRoot, file), path.join(dir, file));
      mkdirSync(path.join(dir, 'native'));
      for (const file of ['check-prebuilds.mjs', 'targets.mjs']) {
        copyFileSync(path.join(packageRoot, 'native', file), path.join(dir, 'native', file));
      }
      expect(() => pnpm(['pack', '--pack-destination', dir], dir)).toThrow(/not packing without every prebuilt binary/);
      expect(readdirSync(dir).filter((name) => name.endsWith('.tgz'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(reason !== '')(`packed @sdnode/activation${reason ? ` (skipped: ${reason})` : ''}`, () => {
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

  it('passes publint', () => {
    const run = bin('publint', ['run', '--strict', tarball], work);
    expect(run.status, run.output).toBe(0);
  }, 120_000);

  it('passes @arethetypeswrong/cli', () => {
    const run = bin('attw', ['--format', 'ascii', tarball], work);
    expect(run.status, run.output).toBe(0);
  }, 120_000);

  // attw resolves the types but does not compile them: a consumer on the legacy resolution without
  // esModuleInterop (the strictest reader of the declarations) shows what they themselves need.
  it('compiles a TypeScript consumer with --module commonjs --moduleResolution node10, no esModuleInterop', () => {
    const file = path.join(app, 'consumer.ts');
    writeFileSync(
      file,
      "import { listen, listenFds, notify } from '@sdnode/activation';\n" +
        "import { createServer } from 'node:net';\n" +
        'const count: number = listenFds().length;\n' +
        'void listen(createServer()).then(() => notify.ready(String(count)));\n',
    );
    const typeRoots = path.join(repoRoot, 'node_modules', '@types');
    const options = ['--noEmit', '--strict', '--module', 'commonjs', '--moduleResolution', 'node10', '--types', 'node'];
    const run = bin('tsc', [...options, '--typeRoots', typeRoots, file], app);
    expect(run.status, run.output).toBe(0);
  }, 120_000);

  // The leaves have entry points of their own, which share the main one's modules: one native
  // binding per process, however many entry points it loads.
  it.each([
    [
      'esm.mjs',
      "import { notify } from '@sdnode/activation';\nimport { createLogger } from '@sdnode/activation/journal';\nimport { parseNotification } from '@sdnode/activation/manager';",
    ],
    [
      'cjs.cjs',
      "const { notify } = require('@sdnode/activation');\nconst { createLogger } = require('@sdnode/activation/journal');\nconst { parseNotification } = require('@sdnode/activation/manager');",
    ],
  ])('%s: the journal and manager subpaths load, with one native binding shared with the main entry', async (name, imports) => {
    const script = path.join(app, `subpaths-${name}`);
    const countLoads = 'let loads = 0; const dlopen = process.dlopen; process.dlopen = (...args) => (loads++, dlopen(...args));';
    const body = [
      "notify.status('subpaths');",
      "createLogger('subpaths', { target: 'journal', socket: process.env.NOTIFY_SOCKET }).info('entry');",
      "console.log(JSON.stringify({ loads, fields: parseNotification(Buffer.from('READY=1\\n')).fields }));",
    ].join('\n');
    // ES module imports are hoisted: the count is set up in a module of its own, imported first.
    const counter = path.join(app, 'count-loads.mjs');
    writeFileSync(counter, `${countLoads.replace('let loads', 'globalThis.loads')}\n`);
    const prelude = name.endsWith('.mjs') ? "import './count-loads.mjs';\n" : `${countLoads}\n`;
    writeFileSync(
      script,
      `${prelude}${imports}\n${body.replaceAll('loads,', name.endsWith('.mjs') ? 'loads: globalThis.loads,' : 'loads,')}\n`,
    );
    const run = runNode(script, { NOTIFY_SOCKET: receiver.address });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ loads: 1, fields: [['READY', '1']] });
    const datagrams = [(await receiver.next()).data.toString(), (await receiver.next()).data.toString()];
    expect(datagrams.sort()).toEqual(['MESSAGE=entry\nPRIORITY=6\nSYSLOG_IDENTIFIER=subpaths\n', 'STATUS=subpaths\n']);
  });

  const noActivate = skippedFor('systemd-socket-activate');
  it.skipIf(noActivate)(
    `adopts a socket under systemd-socket-activate and answers a client${noActivate}`,
    async () => {
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
      const activator = await activate(
        (port) => [...loopback(port), '-E', `NOTIFY_SOCKET=${receiver.address}`],
        [process.execPath, script],
        { cwd: app },
      );
      let answer: string;
      try {
        answer = await request(activator.port, { timeoutMs: 30_000 }); // the first connection starts node
        await activator.process.exited; // all its output read
      } finally {
        activator.kill();
      }
      const log = activator.stderr();
      const output = activator.stdout();
      expect(log).toMatch(/Execing/);
      expect(output).toBe('{"activated":true,"fd":3,"name":"unknown"}\n');
      expect(answer).toMatch(/^hello from \d+\n$/);
      const datagram = await receiver.next();
      expect(datagram.data.toString()).toBe('READY=1\nSTATUS=adopted fd 3\n');
      expect(`hello from ${datagram.pid}\n`).toBe(answer);
    },
    120_000,
  );
});
