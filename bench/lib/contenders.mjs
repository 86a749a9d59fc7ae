// Who runs in each mode: our daemon as the launch scripts run it, the same job in
// bare Node (raw fds, no library), in C, and ours without its native part.
import fs from 'node:fs';
import path from 'node:path';
import { BENCH, compileC, ROOT } from './build.mjs';
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

/**
 * Prepares every contender of every mode. A contender is { name, command, env, role }
 * where role is 'ours' | 'bare' | 'c' | 'variant'. Missing daemons are reported, not fatal.
 * `before`: the root of another built checkout (`--before DIR`), whose daemons run as the variant
 * "ours before" next to ours, so that a change is compared with what came before in one run.
 */
export function prepareContenders({ variants, before }) {
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
    if (haveDaemon && variants) list.push(...prepareVariants(daemon));
    if (before !== undefined) {
      const earlier = path.join(before, mode.daemon);
      if (fs.existsSync(earlier)) list.push({ name: 'ours before', role: 'variant', command: [NODE, earlier], env: {} });
      else notes.push(`--before: ${earlier} is missing (build that checkout): "ours before" not measured for ${mode.id}`);
    }
    byMode[mode.id] = list;
  }
  return { byMode, maxrss, notes };
}

/**
 * The one variant still measured: the library without its native part (a platform with no prebuilt
 * binary), which shows what the binary saves. Start-up variants that were settled are listed in
 * bench/lib/settled.mjs with their figures instead of being measured again.
 */
function prepareVariants(daemon) {
  return [{ name: 'ours, native part off', role: 'variant', command: [NODE, daemon], env: { SDNODE_NO_NATIVE: '1' } }];
}

/**
 * P7: our mode-1 daemon started by `sdnode activate` (role 'ours') and by systemd-socket-activate
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
