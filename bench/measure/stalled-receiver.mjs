// The event-loop delay notify causes against a receiver that never reads (run after `pnpm run build`):
//   node bench/measure/stalled-receiver.mjs [--json]
// With --json the last line is one JSON object of the figures (bench/measure/notify-stall.mjs reads it).
// Each round, in a fresh process against a fresh receiver (notify-receiver.py --stalled), sends
// 1000 notifications (STATUS, every 100th READY), one per millisecond timer, and records how long
// each call held the event loop (the delay notify itself causes; goal: p99 < 1 ms; the slowest
// call also counts the machine's scheduling, which a busy machine makes ~1 ms), and
// perf_hooks.monitorEventLoopDelay's figures (timer intervals, so 1 ms at best), next to the same
// loop without notify (machine noise). Side by side, the same native part built with a blocking
// send (-DSD_SEND_FLAGS=MSG_NOSIGNAL: the behaviour before, and libsystemd's sd_notify): it would
// block for ever, so its receiver starts reading after STALL_MS, which bounds the measurement.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sources } from '../../packages/activation/native/targets.mjs';
import { LIBRARY_ROOT, LIBRARY_URL, requireBuiltLibrary } from '../lib/library.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { median } from '../lib/stats.mjs';

const bench = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const ROUNDS = 5;
const STATUS_CALLS = 1000;
const READY_EVERY = 100; // 10 READY among them
const STALL_MS = 200;
const CHILD_TIMEOUT_MS = 30_000;
const GOAL_MS = 1;

requireBuiltLibrary();

/** The native part with a blocking send, built into bench/out/blocking-send/ from the same sources. */
function buildBlocking() {
  const dir = path.join(bench, 'out', 'blocking-send');
  mkdirSync(dir, { recursive: true });
  const binary = path.join(dir, 'sdnode.node');
  const include = createRequire(path.join(LIBRARY_ROOT, 'package.json'))('node-api-headers').include_dir;
  const native = path.join(LIBRARY_ROOT, 'native');
  execFileSync('gcc', [
    '-shared',
    '-fPIC',
    '-O2',
    '-DSD_SEND_FLAGS=MSG_NOSIGNAL',
    `-I${include}`,
    ...sources.map((name) => path.join(native, name)),
    '-o',
    binary,
  ]);
  return binary;
}

// One round in a fresh process: prints "started", then one JSON line of figures.
const ROUND_CODE = `
  import { monitorEventLoopDelay } from 'node:perf_hooks';
  const [contender, target, statusCalls, readyEvery] = JSON.parse(process.env.STALL_ARGS);
  let send;
  if (contender === 'none') {
    send = () => {};
  } else if (contender === 'ours') {
    const { notify } = await import(target);
    send = (fields) => notify.send(fields);
  } else {
    const module = { exports: {} };
    process.dlopen(module, target);
    const text = (fields) => Object.entries(fields).map(([k, v]) => k + '=' + v + '\\n').join('');
    send = (fields) => module.exports.send(process.env.NOTIFY_SOCKET, Buffer.from(text(fields)), []);
  }
  // Warm-up outside the figures: the first call loads the native part, start-up work settles.
  send({ STATUS: 'warm-up' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  console.log('started');
  await new Promise((resolve) => setTimeout(resolve, 20));
  histogram.reset(); // its first interval runs from enable(), not from a timer
  const perCall = [];
  for (let i = 0; i < statusCalls; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const fields = i % readyEvery === readyEvery - 1 ? { READY: 1 } : { STATUS: 'status ' + i };
    const start = process.hrtime.bigint();
    send(fields);
    perCall.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
  histogram.disable();
  perCall.sort((a, b) => a - b);
  console.log(JSON.stringify({
    maxMs: histogram.max / 1e6,
    p99Ms: histogram.percentile(99) / 1e6,
    perCallUs: perCall[perCall.length >> 1],
    slowestCallMs: perCall[perCall.length - 1] / 1000,
    p99CallMs: perCall[Math.floor(perCall.length * 0.99)] / 1000,
  }));
`;

async function round(contender, target) {
  const { address, process: receiver, stop } = await startReceiver(['--stalled', '--drain']);
  let child;
  let timer;
  try {
    child = spawn(process.execPath, ['--input-type=module', '-e', ROUND_CODE], {
      env: { ...process.env, NOTIFY_SOCKET: address, STALL_ARGS: JSON.stringify([contender, target, STATUS_CALLS, READY_EVERY]) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const started = (await lines.next()).value;
    if (started !== 'started') throw new Error(`${contender}: round did not start (${started})`);
    // Ours must cope with a receiver that never reads; the blocking send is let go after STALL_MS.
    if (contender === 'blocking') setTimeout(() => receiver.kill('SIGUSR2'), STALL_MS);
    const result = (await lines.next()).value;
    if (result === undefined) throw new Error(`${contender}: round gave no figures (killed after ${CHILD_TIMEOUT_MS} ms?)`);
    return JSON.parse(result);
  } finally {
    clearTimeout(timer);
    child?.kill('SIGKILL');
    stop();
  }
}

const contenders = { ours: LIBRARY_URL, none: '', blocking: buildBlocking() };
const results = { ours: [], none: [], blocking: [] };
for (let i = 0; i < ROUNDS; i++) {
  for (const [name, target] of Object.entries(contenders)) results[name].push(await round(name, target));
}
const summary = (name, key) => Number(median(results[name].map((r) => r[key])).toFixed(3));
const figures = (name) => ({
  maxMs: summary(name, 'maxMs'),
  p99Ms: summary(name, 'p99Ms'),
  perCallUs: summary(name, 'perCallUs'),
  p99CallMs: summary(name, 'p99CallMs'),
  slowestCallMs: summary(name, 'slowestCallMs'),
});
const [ours, none, blocking] = [figures('ours'), figures('none'), figures('blocking')];
const met = ours.p99CallMs < GOAL_MS ? 'met' : 'NOT met';

console.log(
  `notify vs a receiver that never reads, ${STATUS_CALLS} calls (STATUS, every ${READY_EVERY}th READY), median of ${ROUNDS} rounds: ` +
    `call p99 ${ours.p99CallMs} ms (goal < ${GOAL_MS} ms: ${met}), slowest ${ours.slowestCallMs} ms, median ${ours.perCallUs} µs; ` +
    `event-loop delay p99 ${ours.p99Ms} ms, max ${ours.maxMs} ms (same loop without notify: p99 ${none.p99Ms} ms, max ${none.maxMs} ms)`,
);
console.log(
  `  blocking send (the behaviour before), receiver reading after ${STALL_MS} ms: slowest call ${blocking.slowestCallMs} ms, ` +
    `event-loop delay max ${blocking.maxMs} ms (for ever if the receiver never reads)`,
);
if (process.argv.includes('--json')) {
  console.log(
    JSON.stringify({
      'notify vs stalled receiver: call p99 / slowest (ms, median)': `${ours.p99CallMs} / ${ours.slowestCallMs}`,
      [`stalled receiver goal p99 < ${GOAL_MS} ms`]: met === 'met' ? 'met' : 'not met',
      'notify vs stalled receiver: per call (µs, median)': ours.perCallUs,
      'notify vs stalled receiver: event-loop delay p99 / max (ms, median)': `${ours.p99Ms} / ${ours.maxMs}`,
      'same loop without notify: event-loop delay p99 / max (ms, median)': `${none.p99Ms} / ${none.maxMs}`,
      [`blocking send, receiver stalled ${STALL_MS} ms: slowest call (ms, median)`]: blocking.slowestCallMs,
    }),
  );
}
