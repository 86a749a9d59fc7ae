// Bench-only builds into bench/out/: the C contenders, the peak-RSS wrapper, and
// variants of our daemons (bundles, startup snapshots) that their own build does not make.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BENCH = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ROOT = path.dirname(BENCH);
export const OUT = path.join(BENCH, 'out');

/** gcc -O2 source → bench/out/name; returns the binary's path. */
export function compileC(source, name) {
  fs.mkdirSync(OUT, { recursive: true });
  const binary = path.join(OUT, name);
  execFileSync('gcc', ['-O2', '-Wall', '-o', binary, source], { stdio: ['ignore', 'ignore', 'inherit'] });
  return binary;
}

/**
 * Bundles a daemon's source with @sdnode/activation inlined (esbuild, the one tsup uses), minified,
 * as ESM or as CommonJS (then from the library's CJS build, as the daemons' own build does).
 * The library finds its native binary at <file's dir>/../prebuilds,
 * so bundles sit in bench/out/bundle/ next to a link to the package's prebuilds.
 * Returns the bundle's path, or throws with the reason (CJS has no top-level await).
 */
export async function bundleDaemon(daemonMain, name, format = 'esm') {
  const esbuild = await loadEsbuild();
  const dir = outSubdir('bundle');
  const outfile = path.join(dir, `${name}.${format === 'esm' ? 'mjs' : 'cjs'}`);
  await esbuild.build({
    entryPoints: [daemonMain],
    outfile,
    bundle: true,
    platform: 'node',
    format,
    target: 'node20',
    minify: true,
    logLevel: 'silent',
    plugins:
      format === 'cjs'
        ? [{ name: 'library-cjs', setup: (build) => build.onResolve({ filter: LIBRARY }, () => ({ path: LIBRARY_CJS })) }]
        : [],
  });
  return outfile;
}

/**
 * A V8 startup snapshot (`node --snapshot-blob FILE`) with the library already evaluated
 * and the daemon's code compiled, run when the snapshot is deserialized. Needs a daemon
 * without top-level await. Returns the blob's path, or throws with the reason.
 */
export async function snapshotDaemon(daemonMain, name) {
  const esbuild = await loadEsbuild();
  const dir = outSubdir('snapshot');
  const common = { bundle: true, platform: 'node', format: 'iife', target: 'node20', minify: true, write: false, logLevel: 'silent' };
  const library = await esbuild.build({ ...common, entryPoints: [LIBRARY_CJS], globalName: 'sdnodeActivation' });
  const daemon = await esbuild.build({
    ...common,
    entryPoints: [daemonMain],
    plugins: [
      {
        name: 'library-from-snapshot',
        setup(build) {
          build.onResolve({ filter: LIBRARY }, () => ({ path: 'library', namespace: 'snapshot' }));
          build.onLoad({ filter: /.*/, namespace: 'snapshot' }, () => ({ contents: 'module.exports = sdnodeActivation;' }));
        },
      },
    ],
  });
  const entry = path.join(dir, `${name}.cjs`);
  fs.writeFileSync(
    entry,
    [
      library.outputFiles[0].text,
      'function runDaemon() {',
      daemon.outputFiles[0].text.replace(/^#!.*\n/, ''),
      '}',
      "require('node:v8').startupSnapshot.setDeserializeMainFunction(runDaemon);",
    ].join('\n'),
  );
  const blob = path.join(dir, `${name}.blob`);
  execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', entry], { stdio: 'ignore' });
  return blob;
}

const LIBRARY = /^@sdnode\/activation$/;
const LIBRARY_CJS = path.join(ROOT, 'packages/activation/dist/index.cjs');

/** bench/out/NAME, beside a link to the package's prebuilds (where the library looks: ../prebuilds). */
function outSubdir(name) {
  const dir = path.join(OUT, name);
  fs.mkdirSync(dir, { recursive: true });
  const prebuilds = path.join(OUT, 'prebuilds');
  fs.rmSync(prebuilds, { force: true, recursive: true }); // the link only, never its target
  fs.symlinkSync(path.join(ROOT, 'packages/activation/prebuilds'), prebuilds);
  return dir;
}

async function loadEsbuild() {
  const fromTsup = createRequire(createRequire(path.join(ROOT, 'package.json')).resolve('tsup'));
  const esbuild = await import(pathToFileURL(fromTsup.resolve('esbuild')).href);
  return esbuild.default ?? esbuild;
}
