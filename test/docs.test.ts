// The docs as a whole: every shell block of the tutorial and the docs is marked (run by a test, or
// checked here), each `checked: commands` block parses and names only commands that exist, and
// every relative link points to a file and heading that exist. CONTRIBUTING.md ("How the docs are
// tested") describes the markers.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blocksOf, REPO_ROOT } from './support/index.js';
import { anchors, LINKED_DOCS, MARKED_DOCS, prose } from './docs-files.js';

/** The markers that make a test run or check a shell block. */
const SHELL_MARKERS =
  /^(?:tutorial: (?:quick-start|run|server|client|idle-exit|sdnode-reactivate|sdnode-handover)|systemd: run|checked: commands)$/;
/** Every marker a test reads, shell or not. */
const KNOWN_MARKERS = /^(?:tutorial: output|systemd: output|(?:excerpt|example|app): \S+)$/;

const blocks = MARKED_DOCS.flatMap(blocksOf);
const where = (b: { file: string; line: number }): string => `${b.file} line ${b.line}`;

describe('the docs’ shell blocks', () => {
  it('are each marked: run by a test, or checked here', () => {
    const unmarked = blocks.filter((b) => b.lang === 'sh' && !SHELL_MARKERS.test(b.marker ?? '')).map(where);
    expect(unmarked).toEqual([]);
  });

  it('carry only markers a test reads', () => {
    const unknown = blocks.filter((b) => b.marker !== undefined && !SHELL_MARKERS.test(b.marker) && !KNOWN_MARKERS.test(b.marker));
    expect(unknown.map((b) => `${where(b)}: ${b.marker}`)).toEqual([]);
  });
});

const checked = blocks.filter((b) => b.marker === 'checked: commands');
describe.each(checked.map((b) => [where(b), b] as const))('checked: commands at %s', (_where, block) => {
  it('parses as bash', () => {
    const r = spawnSync('bash', ['-n'], { input: block.body, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it.each(simpleCommands(block.body).map((words) => [words.join(' '), words] as const))('`%s` names what exists', (_line, words) => {
    expect(missing(words)).toEqual([]);
  });
});

describe.each(LINKED_DOCS)('%s', (file) => {
  const links = [...prose(read(file)).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '').filter((l) => !/^[a-z]+:/.test(l));
  it('links only to files and headings that exist', () => {
    const broken = links.filter((link) => {
      const [target = '', anchor] = link.split('#');
      const resolved = target === '' ? file : path.join(path.dirname(file), target);
      if (!fs.existsSync(path.join(REPO_ROOT, resolved))) return true;
      return anchor !== undefined && (!resolved.endsWith('.md') || !anchors(read(resolved)).has(anchor));
    });
    expect(broken).toEqual([]);
  });
});

function read(file: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
}

/** Each simple command of a block, as words: comments, `VAR=value` prefixes and `sudo` dropped. */
function simpleCommands(body: string): string[][] {
  const text = body.replace(/\\\n/g, ' ').replace(/(^|\s)#.*$/gm, '');
  return text
    .split(/\n|&&|\|\||[|;]/)
    .map((command) => shellWords(command).filter((_word, i, all) => !all.slice(0, i + 1).every((x) => /^\w+=|^sudo$/.test(x))))
    .filter((words) => words.length > 0 && !words[0]?.startsWith('>'));
}

/** Words as the shell splits them, quotes removed (no expansion: enough for the docs' commands). */
function shellWords(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

const SCRIPTS = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
const WORKSPACE_PACKAGES = fs
  .readdirSync(path.join(REPO_ROOT, 'packages'))
  .map((p) => (JSON.parse(read(path.join('packages', p, 'package.json'))) as { name: string }).name);
const BUILTINS = new Set(['source', 'cd', 'export', 'set']);
/** `pnpm` is the shell function scripts/pnpm.sh defines (the docs source it first), not a program on PATH. */
const DEFINED = read('scripts/pnpm.sh').includes('pnpm() {') ? new Set(['pnpm']) : new Set<string>();
const REPO_PATH = /^(?:\.\/)?(?:packages|examples|scripts|units|bench|test|node_modules)\//;

/** What a command names that does not exist: its program, a pnpm script or tool, an npm package, a path. */
function missing(words: string[]): string[] {
  const [program = '', sub, name] = words;
  const lost: string[] = [];
  const isFile = (p: string): boolean => fs.existsSync(path.join(REPO_ROOT, p));
  if (program.includes('/')) {
    if (!isFile(program)) lost.push(program);
  } else if (!BUILTINS.has(program) && !DEFINED.has(program) && !onPath(program) && !isFile(`node_modules/.bin/${program}`)) {
    lost.push(program);
  }
  if (program === 'pnpm' && sub === 'run' && !(name !== undefined && name in SCRIPTS)) lost.push(`pnpm script ${name}`);
  if (program === 'pnpm' && sub === 'exec' && !isFile(`node_modules/.bin/${name}`)) lost.push(`node_modules/.bin/${name}`);
  if (program === 'pnpm' && sub !== undefined && !['run', 'exec', 'install'].includes(sub) && !(sub in SCRIPTS))
    lost.push(`pnpm script ${sub}`);
  if (program === 'npm' && sub === 'install' && !WORKSPACE_PACKAGES.includes(name ?? '')) lost.push(`workspace package ${name}`);
  for (const word of words.slice(1)) {
    const candidate = word.replace(/^[\w-]+=/, '');
    if (REPO_PATH.test(candidate) && !candidate.startsWith('node_modules/@') && !isFile(candidate)) lost.push(candidate);
  }
  return lost;
}

function onPath(program: string): boolean {
  return spawnSync('bash', ['-c', 'command -v "$1"', 'bash', program], { stdio: 'ignore' }).status === 0;
}
