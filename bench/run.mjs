// `pnpm bench` (add --quick for a smoke run): activation cost of our daemons against
// the same job in bare Node and in C, every mode, all contenders interleaved in one
// run. Prints the tables and writes bench/results.md and bench/chart.svg
// (bench/out/ for --quick, so a smoke run never replaces the real numbers).
// `--render` writes them again from the last run's raw figures, measuring nothing.
// `--only P1,P2` measures just those; `--before DIR` adds the daemons of another built checkout
// as "ours before". Either makes a partial run, written to bench/out/ like --quick.
// P1 and P2 also run ours, bare Node and the variants on a second Node in the same rounds: Node 26
// from .cache/nodes (scripts/other-nodes.sh fetches it), or `--node PATH`; `--node none` leaves it out.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BENCH, OUT, ROOT } from './lib/build.mjs';
import { chart } from './lib/chart.mjs';
import { MODES, prepareContenders, underSdnode } from './lib/contenders.mjs';
import { machine } from './lib/machine.mjs';
import { sleep, timeWaitCount } from './lib/procs.mjs';
import { chartGroups, renderResults } from './lib/results.mjs';
import { measureCold } from './measure/cold.mjs';
import { measureMemory } from './measure/memory.mjs';
import { measureJournal, measureNotify } from './measure/notify.mjs';
import { measureNotifyStall } from './measure/notify-stall.mjs';
import { PLAIN_NET, measureSteady } from './measure/steady.mjs';
import { measureThroughput } from './measure/throughput.mjs';

const CONFIGS = {
  full: {
    cold: { rounds: 20 },
    throughput: { rounds: 5, connections: 40, concurrency: 8 },
    steady: { rounds: 5, connections: 2000, concurrency: 8 },
    memory: { rounds: 5 },
  },
  quick: {
    cold: { rounds: 2 },
    throughput: { rounds: 1, connections: 16, concurrency: 8 },
    steady: { rounds: 1, connections: 200, concurrency: 8 },
    memory: { rounds: 1 },
  },
};
// A safety net only: a normal run takes well under 5 minutes (--quick about 30 s).
const HARD_LIMIT_MS = { full: 8 * 60_000, quick: 2 * 60_000 };

const quick = process.argv.includes('--quick');
const kind = quick ? 'quick' : 'full';
const config = CONFIGS[kind];
const only = optionValue('--only')?.split(',');
const before = optionValue('--before');
const MEASUREMENTS = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8'];
for (const id of only ?? []) {
  if (!MEASUREMENTS.includes(id)) usage(`--only ${only.join(',')}: ${id} is not one of ${MEASUREMENTS.join(', ')}`);
}
if (before !== undefined && !fs.existsSync(path.join(before, 'packages'))) {
  usage(
    `--before ${before}: expected the root of a built sdnode checkout (git worktree add DIR COMMIT, then pnpm install and pnpm run build in it)`,
  );
}
const otherNode = chooseOtherNode(optionValue('--node'));
const measured = (id) => only === undefined || only.includes(id);
const partial = only !== undefined || before !== undefined;
const outDir = quick || partial ? OUT : BENCH;
const rawFile = path.join(OUT, `${partial ? 'partial' : kind}-run.json`);
if (process.argv.includes('--render')) {
  publish(JSON.parse(fs.readFileSync(rawFile, 'utf8')));
  process.exit(0);
}

for (const [tool, debianPackage] of [
  ['systemd-socket-activate', 'systemd'],
  ['gcc', 'gcc'],
]) {
  if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) {
    console.error(`bench: ${tool} is not installed (Debian package: ${debianPackage})`);
    process.exit(1);
  }
}

const began = Date.now();
setTimeout(() => {
  console.error(`bench: stopped after ${HARD_LIMIT_MS[kind] / 1000} s (hard limit)`);
  process.exit(1);
}, HARD_LIMIT_MS[kind]).unref();

// Exit through process.exit so that the launchers still running are killed (lib/launcher.mjs).
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

const log = (text) => console.error(`[${((Date.now() - began) / 1000).toFixed(0).padStart(3)} s] ${text}`);

// An earlier run's connections linger in TIME_WAIT for a minute, and every socket-table read of
// the native-less variant pays for each: wait (bounded) until they are gone, or say they were not.
const LINGERING_MAX = 100;
for (const deadline = Date.now() + 75_000; timeWaitCount() > LINGERING_MAX && Date.now() < deadline; ) {
  log(`waiting for ${timeWaitCount()} TIME_WAIT sockets of an earlier run to go`);
  await sleep(5000);
}
const lingering = timeWaitCount();

const { byMode, onOtherNode, maxrss, notes } = prepareContenders({ variants: true, before, otherNode: otherNode.node });
if (otherNode.note) notes.push(otherNode.note);
// P1 and P2, the per-connection modes' whole cost, are measured on both Nodes.
const bothNodes = (modeId) => [...byMode[modeId], ...(onOtherNode[modeId] ?? [])];
if (lingering > LINGERING_MAX)
  notes.push(`${lingering} TIME_WAIT sockets were on the host at the start: "native part off" paid for reading them`);
const modeById = Object.fromEntries(MODES.map((mode) => [mode.id, mode]));
const withoutVariants = (list) => list.filter((contender) => contender.role !== 'variant');
// The native-less variant shows its cost once per process: P1 and P5, not per connection.
const forThroughput = (list) => list.filter((contender) => !contender.env.SDNODE_NO_NATIVE);

const sections = [];

// A section: what one table (and one chart group) shows; `reference` is the role the ratios divide by.
const cold = {
  short: 'cold start',
  title: 'P1 cold activation, connect → first byte',
  unit: 'ms',
  digits: 1,
  better: 'lower',
  reference: 'bare',
  referenceName: 'bare Node',
  goal: { max: 1.05 },
  variants: true,
  modes: [],
};
if (measured('P1')) {
  log('P1 cold activation');
  for (const mode of MODES) {
    log(`  ${mode.title}`);
    cold.modes.push({ mode, results: await measureCold(mode, bothNodes(mode.id), config.cold) });
  }
  sections.push(cold);
}

const cliContenders = underSdnode(byMode.listen);
if (!measured('P7')) {
  // not asked for (--only)
} else if (cliContenders.length === 0) notes.push('P7 not measured: packages/cli or socket-service is not built (pnpm run build)');
else {
  log('P7 cold activation under sdnode activate');
  sections.push({
    short: 'sdnode activate',
    title: 'P7 cold activation under `sdnode activate`, connect → first byte',
    unit: 'ms',
    digits: 1,
    better: 'lower',
    reference: 'launcher',
    referenceName: 'systemd-socket-activate',
    modes: [{ mode: modeById.listen, results: await measureCold(modeById.listen, cliContenders, config.cold) }],
  });
}

const throughputLoad = `${config.throughput.connections} at concurrency ${config.throughput.concurrency}`;
const throughput = {
  short: 'conn/s',
  title: `P2 connections/s, ${throughputLoad}`,
  unit: 'conn/s',
  digits: 0,
  better: 'higher',
  reference: 'bare',
  referenceName: 'bare Node',
  goal: { min: 0.95 },
  variants: true,
  modes: [],
};
if (measured('P2')) {
  log('P2 per-connection throughput');
  for (const mode of [modeById.accepted, modeById.inetd]) {
    log(`  ${mode.title}`);
    throughput.modes.push({ mode, results: await measureThroughput(mode, forThroughput(bothNodes(mode.id)), config.throughput) });
  }
  sections.push(throughput);
}

// P5 runs before P3: P3's thousands of connections linger in TIME_WAIT for a minute, and
// that would weigh on anything reading the kernel's socket tables meanwhile.
const memory = {
  short: 'peak RSS',
  title: 'P5 peak RSS',
  unit: 'MiB',
  digits: 1,
  better: 'lower',
  reference: 'bare',
  referenceName: 'bare Node',
  variants: true,
  modes: [],
};
if (measured('P5')) {
  log('P5 peak memory and idle cost');
  for (const mode of MODES) {
    log(`  ${mode.title}`);
    memory.modes.push({ mode, results: await measureMemory(mode, byMode[mode.id], { ...config.memory, maxrss }) });
  }
}

// The same steady load against 2 cluster workers and against one process (socket-service), side by side.
const clusterContenders = [
  {
    name: '2 cluster workers',
    role: 'ours',
    command: [process.execPath, path.join(BENCH, 'contenders/cluster-listen.mjs')],
    env: { WORKERS: '2' },
  },
  {
    // The primary hands no connection over: the workers accept on the shared socket themselves.
    name: '2 cluster workers, NODE_CLUSTER_SCHED_POLICY=none',
    role: 'variant',
    command: [process.execPath, path.join(BENCH, 'contenders/cluster-listen.mjs')],
    env: { WORKERS: '2', NODE_CLUSTER_SCHED_POLICY: 'none' },
  },
  ...byMode.listen.filter((c) => c.role === 'ours').map((c) => ({ ...c, name: 'one process (socket-service)', role: 'single' })),
];
if (measured('P8')) log('P8 cluster steady state');
const clusterResults = measured('P8') ? await measureSteady(modeById.listen, clusterContenders, config.steady, 'tree') : undefined;
const clusterSections = clusterResults && [
  {
    short: 'cluster conn/s',
    title: `P8 cluster steady state, connections/s (${config.steady.connections} at concurrency ${config.steady.concurrency}; 2 cores shared with the client)`,
    unit: 'conn/s',
    digits: 0,
    better: 'higher',
    reference: 'single',
    referenceName: 'one process',
    modes: [{ mode: modeById.listen, results: clusterResults.rate }],
  },
  {
    // What a cluster would do per core where the client does not share them: the inverse of this.
    short: 'cluster CPU',
    title: 'P8 cluster, CPU per connection of the primary and workers, every thread (per core: its inverse)',
    unit: 'µs',
    digits: 1,
    better: 'lower',
    reference: 'single',
    referenceName: 'one process',
    modes: [{ mode: modeById.listen, results: clusterResults.cpu }],
  },
];

const steadyContenders = [...withoutVariants(byMode.listen).filter((c) => c.role !== 'c'), PLAIN_NET];
if (measured('P3')) log('P3 mode 1 steady state');
const steadyResults = measured('P3') ? await measureSteady(modeById.listen, steadyContenders, config.steady) : undefined;
const steadyLoad = `${config.steady.connections} at concurrency ${config.steady.concurrency}`;
const steadySections = steadyResults && [
  {
    short: 'steady conn/s',
    title: `P3 steady state, connections/s (${steadyLoad})`,
    unit: 'conn/s',
    digits: 0,
    better: 'higher',
    reference: 'plain',
    referenceName: PLAIN_NET.name,
    goal: { min: 0.98 },
    modes: [{ mode: modeById.listen, results: steadyResults.rate }],
  },
  {
    short: 'steady CPU',
    title: 'P3 steady state, server CPU per connection',
    unit: 'µs',
    digits: 1,
    better: 'lower',
    reference: 'plain',
    referenceName: PLAIN_NET.name,
    modes: [{ mode: modeById.listen, results: steadyResults.cpu }],
  },
];
sections.push(...(steadySections ?? []), ...(measured('P5') ? [memory] : []), ...(clusterSections ?? []));

let notify;
if (measured('P4')) {
  log('P4 notify and native load (bench/measure/activation.mjs)');
  notify = await measureNotify();
  log('P4 notify against a receiver that never reads (bench/measure/stalled-receiver.mjs)');
  const stall = await measureNotifyStall();
  if (stall.figures) notify.figures = { ...notify.figures, ...stall.figures };
  else notes.push(stall.note);
}
let journal;
if (measured('P6')) {
  log('P6 journal log call against console.error (bench/measure/journal.mjs)');
  journal = await measureJournal();
}

const info = machine();
const command = ['pnpm bench', ...process.argv.slice(2)].join(' ');
const run = { sections, memory, notify, journal, notes, info, quick, command, seconds: Math.round((Date.now() - began) / 1000) };
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(rawFile, JSON.stringify(run));
publish(run);

/** The value after `flag` (`--flag VALUE` or `--flag=VALUE`), undefined when absent. */
function optionValue(flag) {
  const args = process.argv.slice(2);
  const joined = args.find((arg) => arg.startsWith(`${flag}=`));
  if (joined !== undefined) return joined.slice(flag.length + 1);
  const at = args.indexOf(flag);
  if (at === -1) return undefined;
  if (at + 1 >= args.length) usage(`${flag} needs a value`);
  return args[at + 1];
}

/** The second Node of P1 and P2: { node: { path, label } } or { note } saying why there is none. */
function chooseOtherNode(option) {
  if (option === 'none') return {};
  const file = option ?? path.join(ROOT, '.cache/nodes/node_modules/node26/bin/node');
  if (!fs.existsSync(file)) {
    if (option !== undefined) usage(`--node ${option}: no such file (expected a node executable, or none)`);
    return { note: 'P1 and P2 ran on one Node only: .cache/nodes has no Node 26 (scripts/other-nodes.sh fetches it)' };
  }
  const version = spawnSync(file, ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (!version?.startsWith('v')) usage(`--node ${file}: not a node executable (${file} --version printed no version)`);
  return { node: { path: file, label: version.slice(1) } };
}

function usage(problem) {
  console.error(`bench: ${problem}\nusage: pnpm bench [--quick] [--only P1,P2,…] [--before DIR] [--node PATH|none] | --render`);
  process.exit(2);
}

function publish(run) {
  const markdown = renderResults(run);
  process.stdout.write(markdown);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'results.md'), markdown);
  fs.writeFileSync(
    path.join(outDir, 'chart.svg'),
    chart(chartGroups(run.sections), {
      title: 'sdnode: our daemons ÷ the same job without the library',
      subtitle: `Node ${run.info.node}, ${run.info.cpu}, ${run.info.nproc} CPUs, ${run.info.date.slice(0, 10)}`,
    }),
  );
  console.error(`wrote ${path.relative(process.cwd(), path.join(outDir, 'results.md'))} and chart.svg`);
}
