// Who runs in each mode: our daemon as the launch scripts run it, the same job in
// bare Node (raw fds, no library), in C, and ours without its native part.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BENCH, compileC, OUT, ROOT } from './build.mjs';
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
 * Prepares every contender of every mode. A contender is { name, command, env, role, node? }
 * where role is 'ours' | 'bare' | 'c' | 'variant'. Missing daemons are reported, not fatal.
 * `before`: the root of another built checkout (`--before DIR`), whose daemons run as the variant
 * "ours before" next to ours, so that a change is compared with what came before in one run.
 * `otherNode`: { path, label } of a second Node, whose ours, bare Node and variants run in the same
 * rounds (`onOtherNode`, for the per-connection measurements); `node` names it in every contender.
 */
export function prepareContenders({ variants, before, otherNode }) {
  const notes = [];
  const maxrss = compileC(path.join(BENCH, 'tools/maxrss.c'), 'maxrss');
  const byMode = {};
  const onOtherNode = {};
  for (const mode of MODES) {
    const daemon = path.join(ROOT, mode.daemon);
    const haveDaemon = fs.existsSync(daemon);
    if (!haveDaemon) notes.push(`${mode.daemon} is missing (run \`pnpm run build\`): "ours" not measured for ${mode.id}`);
    const earlier = before === undefined ? undefined : path.join(before, mode.daemon);
    if (earlier !== undefined && !fs.existsSync(earlier)) {
      notes.push(`--before: ${earlier} is missing (build that checkout): "ours before" not measured for ${mode.id}`);
    }
    // Ours and bare Node first, then (after C, on the machine's Node) the variants of ours.
    const nodeContenders = (node) => ({
      first: [
        ...(haveDaemon ? [{ name: 'ours', role: 'ours', command: [node, daemon], env: {} }] : []),
        { name: 'bare Node', role: 'bare', command: [node, path.join(BENCH, 'contenders', mode.bare)], env: {} },
      ],
      variants: [
        ...(haveDaemon && variants ? prepareVariants(node, daemon) : []),
        ...(earlier !== undefined && fs.existsSync(earlier)
          ? [{ name: 'ours before', role: 'variant', command: [node, earlier], env: {} }]
          : []),
      ],
    });
    const c = { name: 'C', role: 'c', command: [compileC(path.join(BENCH, 'contenders', `${mode.c}.c`), mode.c)], env: {} };
    const here = nodeContenders(NODE);
    byMode[mode.id] = [...here.first, c, ...here.variants];
    if (otherNode !== undefined) {
      const there = nodeContenders(otherNode.path);
      onOtherNode[mode.id] = [...there.first, ...there.variants].map((contender) => ({
        ...contender,
        name: `${contender.name}, Node ${otherNode.label}`,
        node: otherNode.label,
      }));
    }
  }
  return { byMode, onOtherNode, maxrss, notes };
}

/**
 * The variants still measured: the library without its native part (a platform with no prebuilt
 * binary), which shows what the binary saves; and, on a Node that has one (22.1 and later), Node's
 * compile cache in a directory kept across starts, as a unit with CacheDirectory= can give it
 * (the warm-up round fills it). Start-up variants that were settled are listed in
 * bench/lib/settled.mjs with their figures instead of being measured again.
 */
function prepareVariants(node, daemon) {
  const list = [{ name: 'ours, native part off', role: 'variant', command: [node, daemon], env: { SDNODE_NO_NATIVE: '1' } }];
  const [major, minor] = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 1)) {
    const cache = path.join(OUT, `compile-cache-${major}`, path.basename(path.dirname(path.dirname(daemon))));
    fs.rmSync(cache, { recursive: true, force: true });
    list.push({ name: 'ours, compile cache', role: 'variant', command: [node, daemon], env: { NODE_COMPILE_CACHE: cache } });
  }
  return list;
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
