// What the docs show of the examples: the excerpts of docs/frameworks.md and docs/deploying.md are
// verbatim in the files they name, and the plain-Node program of both READMEs runs as written, as an ES module
// (app.mjs) and as CommonJS (app.js in a project made by `npm init -y`), under systemd-socket-activate.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { activate, blocksOf, httpGet, loopback, markedBlocks, REPO_ROOT, stopAll } from '../support/index.js';

/** The js blocks of the files marked `<!-- KIND: VALUE -->` right before their fence, in order, each with its VALUE as `marker`. */
function marked(files: string | string[], kind: string): { marker: string; body: string }[] {
  const blocks = [files].flat().flatMap(blocksOf);
  return markedBlocks(blocks, kind)
    .filter((b) => b.lang === 'js')
    .map((b) => ({ marker: b.value, body: b.body }));
}

// In the docs' order.
const EXAMPLES = ['express', 'koa', 'fastify', 'hono', 'nestjs', 'https', 'http2', 'cluster'];
const READMES = ['README.md', 'packages/activation/README.md'];

afterEach(stopAll);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sdnode-readme-apps-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('docs/frameworks.md and docs/deploying.md (cluster)', () => {
  const excerpts = marked(['docs/frameworks.md', 'docs/deploying.md'], 'example');

  it('has an excerpt of each example', () => {
    expect(excerpts.map((b) => b.marker)).toEqual(EXAMPLES.map((name) => `examples/${name}/server.mjs`));
  });

  it.each(excerpts.map((b) => [b.marker, b] as const))('the excerpt of %s is verbatim in that file', (_name, block) => {
    expect(fs.readFileSync(path.join(REPO_ROOT, block.marker), 'utf8')).toContain(block.body);
  });
});

/** GET / on 127.0.0.1:port: the body. */
describe.each(READMES)('%s: the plain-Node program', (readme) => {
  const apps = marked(readme, 'app');

  it('is shown as an ES module and as CommonJS', () => {
    expect(apps.map((b) => b.marker)).toEqual(['app.mjs', 'app.js']);
  });

  it.each(apps.map((b) => [b.marker, b] as const))('%s runs as written under systemd-socket-activate', async (file, block) => {
    const project = fs.mkdtempSync(path.join(scratch, 'project-'));
    execFileSync('npm', ['init', '-y'], { cwd: project, stdio: 'ignore' });
    const manifest = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8')) as { type?: string };
    expect(manifest.type ?? 'commonjs').toBe('commonjs');
    fs.mkdirSync(path.join(project, 'node_modules', '@sdnode'), { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, 'packages', 'activation'), path.join(project, 'node_modules', '@sdnode', 'activation'));
    fs.writeFileSync(path.join(project, file), block.body);
    const { process: app, port } = await activate(loopback, [process.execPath, path.join(project, file)]);
    expect((await httpGet(port)).body).toBe('hello\n');
    expect((await httpGet(port)).body).toBe('hello\n');
    expect(app.alive, app.stderr).toBe(true);
  });
});
