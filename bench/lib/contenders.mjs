// Who runs in each mode: our daemon as the launch scripts run it, the same job in
// bare Node (raw fds, no library), in C, and bench-only variants of ours.
import fs from 'node:fs';
import path from 'node:path';
import { BENCH, ROOT, OUT, bundleDaemon, compileC, snapshotDaemon } from './build.mjs';
import { SDNODE, startUnderSdnode } from './launcher.mjs';

const NODE = process.execPath;

export const MODES = [
  {
    id: 'listen',
    short: 'mode 1',
    title: 'mode 1: listening socket (default)',
    launcherArgs: [],
    expected: 'This is a test\n',
    daemon: 'packages/socket-service/dist/main.js',
    bare: 'bare-listen.cjs',
    c: 'listen',
  },
  {
    id: 'accepted',
    short: 'mode 2 (-a)',
    title: 'mode 2: accepted connection (-a)',
    launcherArgs: ['-a'],
    expected: 'This socket was already accepted\n',
    daemon: 'packages/socket-service-accepted/dist/main.js',
    bare: 'bare-accepted.cjs',
    c: 'accepted',
  },
  {
    id: 'inetd',
    short: 'mode 3 (-a --inetd)',
    title: 'mode 3: inetd (-a --inetd)',
    launcherArgs: ['-a', '--inetd'],
    expected: 'This socket was passed on stdin/stdout\n',
    daemon: 'packages/socket-service-inet/dist/main.js',
    bare: 'bare-inetd.cjs',
    c: 'inetd',
  },
];

/** Node ≥ 22.1 can cache compiled code on disk; Node 20 cannot. */
export const COMPILE_CACHE_SUPPORTED = (() => {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 1);
})();

/**
 * Prepares every contender of every mode. A contender is { name, command, env, role }
 * where role is 'ours' | 'bare' | 'c' | 'variant'. Missing daemons are reported, not fatal.
 */
export async function prepareContenders({ variants }) {
  const notes = [];
  const maxrss = compileC(path.join(BENCH, 'tools/maxrss.c'), 'maxrss');
  const byMode = {};
  for (const mode of MODES) {
    const list = [];
    const daemon = path.join(ROOT, mode.daemon);
    const haveDaemon = fs.existsSync(daemon);
    if (haveDaemon) list.push({ name: 'ours', role: 'ours', command: [NODE, daemon], env: {} });
    else notes.push(`${mode.daemon} is missing (run \`pnpm run build\`): "ours" not measured for ${mode.id}`);
    list.push({ name: 'bare Node', role: 'bare', command: [NODE, path.join(BENCH, 'contenders', mode.bare)], env: {} });
    list.push({ name: 'C', role: 'c', command: [compileC(path.join(BENCH, 'contenders', `${mode.c}.c`), mode.c)], env: {} });
    if (haveDaemon && variants) list.push(...(await prepareVariants(mode, daemon, notes)));
    byMode[mode.id] = list;
  }
  return { byMode, maxrss, notes };
}

async function prepareVariants(mode, daemon, notes) {
  // Ours is already one CommonJS file with the library inlined; the variants are built from the same source.
  const source = path.join(path.dirname(path.dirname(daemon)), 'src', 'main.ts');
  const variants = [];
  let bundle;
  try {
    bundle = await bundleDaemon(source, mode.id);
    variants.push({ name: 'ours as one ESM file', role: 'variant', command: [NODE, bundle], env: {} });
  } catch (error) {
    notes.push(`bundling ${source} as ESM failed: ${firstError(error)}`);
  }
  try {
    const minified = await bundleDaemon(source, mode.id, 'cjs');
    variants.push({ name: 'ours, minified', role: 'variant', command: [NODE, minified], env: {} });
  } catch (error) {
    notes.push(`${source} cannot be bundled as CommonJS: ${firstError(error)}`);
  }
  try {
    const blob = await snapshotDaemon(source, mode.id);
    variants.push({ name: 'ours, startup snapshot', role: 'variant', command: [NODE, '--snapshot-blob', blob], env: {} });
  } catch (error) {
    notes.push(`no startup snapshot of ${source}: ${firstError(error)}`);
  }
  if (COMPILE_CACHE_SUPPORTED) {
    const cache = path.join(OUT, 'compile-cache');
    fs.mkdirSync(cache, { recursive: true });
    const env = { NODE_COMPILE_CACHE: cache };
    variants.push({ name: 'ours + compile cache', role: 'variant', command: [NODE, daemon], env });
    if (bundle) variants.push({ name: 'ours as one ESM file + compile cache', role: 'variant', command: [NODE, bundle], env });
  }
  // Context for the reference: the same bare script as an ES module (Node's ESM loader costs start-up time).
  const bareEsm = path.join(BENCH, 'contenders', mode.bare.replace(/\.cjs$/, '.mjs'));
  variants.push({ name: 'bare Node as an ES module', role: 'variant', command: [NODE, bareEsm], env: {} });
  // The library's path without its native part (a platform with no prebuilt binary): what the binary saves.
  variants.push({ name: 'ours, native part off', role: 'variant', command: [NODE, daemon], env: { SDNODE_NO_NATIVE: '1' } });
  return variants;
}

function firstError(error) {
  return error.errors?.[0]?.text ?? error.message.split('\n')[0];
}

/**
 * P6: our mode-1 daemon started by `sdnode activate` (role 'ours') and by systemd-socket-activate
 * (role 'launcher', the reference); empty when the daemon or the CLI is not built.
 */
export function underSdnode(listenContenders) {
  const ours = listenContenders.find((contender) => contender.role === 'ours');
  if (ours === undefined || !fs.existsSync(SDNODE)) return [];
  return [
    { ...ours, name: 'under sdnode activate', launch: startUnderSdnode },
    { ...ours, name: 'systemd-socket-activate', role: 'launcher' },
  ];
}
