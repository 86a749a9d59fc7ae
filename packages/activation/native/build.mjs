// Builds the Node-API addon for every target of targets.mjs whose C compiler is
// installed: prebuilds/<platform>-<arch>[-musl]/sdnode.node, and says which it
// could not build and what to install (packing needs every one). No node-gyp: the addon only
// uses Node-API, whose symbols resolve from the running node at load time, so
// a plain `cc -shared` against the Node-API headers is enough, and one binary
// serves every Node version with Node-API 8.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostTarget, sources as sourceNames, targets } from './targets.mjs';

const nativeDir = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.dirname(nativeDir);
const sources = sourceNames.map((name) => path.join(nativeDir, name));
const inputs = [
  ...sources,
  ...['sd_send.h', 'journal_send.h', 'sdnode.h', 'targets.mjs'].map((name) => path.join(nativeDir, name)),
  fileURLToPath(import.meta.url),
];
const includeDir = createRequire(import.meta.url)('node-api-headers').include_dir;

const flags = ['-shared', '-fPIC', '-O2', '-fvisibility=hidden', '-std=gnu11', '-Wall', '-Wextra', '-s'];

function exists(command) {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

// The ELF header and dynamic section must say what the directory name says:
// a musl build that quietly linked glibc would load nowhere it is meant for.
function checkElf(file, target) {
  if (!exists('readelf')) return;
  const header = execFileSync('readelf', ['-h', file], { encoding: 'utf8' });
  const dynamic = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const machine = /Machine:\s+(.*)/.exec(header)?.[1] ?? '';
  if (!machine.includes(target.machine)) throw new Error(`${file}: machine is "${machine}", expected ${target.machine}`);
  if (needed.length !== 1 || needed[0] !== target.libc) {
    throw new Error(`${file}: needs [${needed.join(', ')}], expected only ${target.libc}`);
  }
}

let hostBuilt = false;
const skipped = [];
for (const target of targets) {
  const outDir = path.join(packageRoot, 'prebuilds', target.name);
  const output = path.join(outDir, 'sdnode.node');
  const built = mtime(output);
  const upToDate = built !== undefined && inputs.every((input) => (mtime(input) ?? Infinity) < built);
  if (upToDate) {
    if (target.name === hostTarget) hostBuilt = true;
    continue;
  }
  const compiler = target.compilers.find(exists);
  if (compiler === undefined) {
    // Never ship a binary built from other sources than these.
    if (built !== undefined) rmSync(output);
    skipped.push(`${target.name}: no ${target.compilers.join(' or ')} (Debian package ${target.debian})`);
    continue;
  }
  mkdirSync(outDir, { recursive: true });
  // Build beside the output and rename: a process loading the addon at the same
  // time sees the old file or the new one, never half of one.
  const temporary = `${output}.${process.pid}.tmp`;
  try {
    execFileSync(compiler, [...flags, `-I${includeDir}`, ...sources, '-o', temporary], { stdio: 'inherit' });
    checkElf(temporary, target);
    renameSync(temporary, output);
  } catch (error) {
    rmSync(temporary, { force: true });
    rmSync(output, { force: true });
    if (target.name === hostTarget) throw error;
    skipped.push(`${target.name}: ${error.message}`);
    continue;
  }
  console.log(`sdnode: built ${path.relative(packageRoot, output)} with ${compiler}`);
  if (target.name === hostTarget) hostBuilt = true;
}

if (skipped.length > 0) {
  // To stderr, where it is not lost among the other build output: a package packed from this
  // tree would lack these binaries (prepack refuses to pack it).
  console.error(`sdnode: WARNING: prebuilt binaries NOT built:\n${skipped.map((line) => `  ${line}`).join('\n')}`);
}

if (!hostBuilt && targets.some((target) => target.name === hostTarget)) {
  throw new Error(`sdnode: could not build the addon for this machine (${hostTarget})`);
}
