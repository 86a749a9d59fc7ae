// An app bundled with esbuild into one file, the library inlined, deployed in four ways: alone
// (the notifications fall back to systemd-notify, said once, with the fix), alone with
// SDNODE_NATIVE_PATH, with prebuilds/ next to it, and next to a node_modules that has the package.
// Whether the native part loaded shows in what only it can do: pass an fd (FDSTORE=1).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, REPO_ROOT, startReceiver } from '../support/index.js';

const LIBRARY = path.join(REPO_ROOT, 'packages', 'activation');
const PREBUILDS = path.join(LIBRARY, 'prebuilds');
const BINARY = path.join(PREBUILDS, `linux-${process.arch}`, 'sdnode.node');
const APP = `import { notify } from '@sdnode/activation';
notify.ready();
notify.status('still here');
try {
  notify.fdStore([0], { name: 'stdin' });
} catch (error) {
  console.error('fd store: ' + error.code);
}
`;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sdnode-bundles-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** The app, written as a user would with the package installed, bundled into one file. */
async function bundle(format: 'esm' | 'cjs'): Promise<string> {
  const project = path.join(scratch, `project-${format}`);
  fs.mkdirSync(path.join(project, 'node_modules', '@sdnode'), { recursive: true });
  fs.symlinkSync(LIBRARY, path.join(project, 'node_modules', '@sdnode', 'activation'));
  fs.writeFileSync(path.join(project, 'app.mjs'), APP);
  const outfile = path.join(project, format === 'esm' ? 'bundle.mjs' : 'bundle.cjs');
  await build({ entryPoints: [path.join(project, 'app.mjs')], bundle: true, platform: 'node', format, outfile, logLevel: 'silent' });
  return outfile;
}

/** A fresh folder holding only the bundle and what `extra` puts there. */
function deploy(bundled: string, name: string, extra: (dir: string) => void = () => {}): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir);
  const file = path.join(dir, path.basename(bundled));
  fs.copyFileSync(bundled, file);
  extra(dir);
  return file;
}

/**
 * Runs the deployed bundle with NOTIFY_SOCKET set (a receiver of its own: systemd-notify adds a
 * BARRIER=1 datagram of its own after each message); what it printed and who sent its notifications.
 */
async function run(file: string, env: NodeJS.ProcessEnv = {}): Promise<{ stderr: string; native: boolean }> {
  const receiver = await startReceiver();
  try {
    const child = spawnSync(process.execPath, [file], {
      cwd: os.tmpdir(),
      env: cleanEnv({ ...env, NOTIFY_SOCKET: receiver.address }),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.status, child.stderr).toBe(0);
    for (const expected of ['READY=1', 'STATUS=still here']) {
      let datagram = await receiver.next();
      while (datagram.text.trim() === 'BARRIER=1') datagram = await receiver.next();
      expect(datagram.text.trim()).toBe(expected);
    }
    const native = !child.stderr.includes('fd store: ENOTSUP');
    if (native) {
      const stored = await receiver.next();
      expect([stored.text, stored.fds.length]).toEqual(['FDSTORE=1\nFDNAME=stdin\n', 1]);
    }
    return { stderr: child.stderr, native };
  } finally {
    await receiver.stop();
  }
}

describe.each(['esm', 'cjs'] as const)('an esbuild bundle (%s output)', (format) => {
  let bundled: string;
  beforeAll(async () => {
    bundled = await bundle(format);
  });

  it('deployed alone falls back to systemd-notify, and says so once, with what is lost and the fix', async () => {
    const { stderr, native } = await run(deploy(bundled, `${format}-alone`));
    expect(native).toBe(false);
    expect(stderr.match(/SDNODE_NOTIFY_FALLBACK/g)).toHaveLength(1);
    for (const said of [
      'NotifyAccess=all',
      '11-20 ms',
      'fd store',
      'BARRIER=1',
      'prebuilds/ folder next to the bundled file',
      'SDNODE_NATIVE_PATH',
    ]) {
      expect(stderr).toContain(said);
    }
  });

  it('deployed alone loads the binary SDNODE_NATIVE_PATH names, or the one in the folder it names', async () => {
    const file = deploy(bundled, `${format}-override`);
    expect(await run(file, { SDNODE_NATIVE_PATH: BINARY })).toEqual({ stderr: '', native: true });
    expect(await run(file, { SDNODE_NATIVE_PATH: path.dirname(BINARY) })).toEqual({ stderr: '', native: true });
  });

  it('a wrong SDNODE_NATIVE_PATH is named in the warning, and nothing else is tried', async () => {
    // prebuilds/ next to the bundle would load: the explicit setting still wins, and says why it failed.
    const file = deploy(bundled, `${format}-wrong-override`, (dir) =>
      fs.cpSync(PREBUILDS, path.join(dir, 'prebuilds'), { recursive: true }),
    );
    const missing = path.join(scratch, 'nowhere');
    const { stderr, native } = await run(file, { SDNODE_NATIVE_PATH: missing });
    expect(native).toBe(false);
    expect(stderr).toContain(`SDNODE_NATIVE_PATH=${missing}: ${path.join(missing, 'sdnode.node')}: not found`);
  });

  it('loads the binary from prebuilds/ next to the bundle', async () => {
    const file = deploy(bundled, `${format}-prebuilds`, (dir) => fs.cpSync(PREBUILDS, path.join(dir, 'prebuilds'), { recursive: true }));
    expect(await run(file)).toEqual({ stderr: '', native: true });
  });

  it('loads the binary from node_modules/@sdnode/activation next to the bundle', async () => {
    const file = deploy(bundled, `${format}-node-modules`, (dir) => {
      const installed = path.join(dir, 'node_modules', '@sdnode', 'activation');
      fs.mkdirSync(installed, { recursive: true });
      fs.copyFileSync(path.join(LIBRARY, 'package.json'), path.join(installed, 'package.json'));
      fs.cpSync(PREBUILDS, path.join(installed, 'prebuilds'), { recursive: true });
    });
    expect(await run(file)).toEqual({ stderr: '', native: true });
  });
});
