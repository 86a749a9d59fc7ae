// Costs of @sdnode/activation, measured on the built package (run after `pnpm run build`):
//   node bench/measure/activation.mjs [--json]
// With --json the last line is one JSON object of the figures (bench/measure/notify.mjs reads it).
// - notify.status() per call, to a real AF_UNIX datagram receiver that reads
//   every datagram (notify-receiver.py --drain), median over batches; sent in rounds
//   shorter than the receiver's queue, each drained before the next, so that what is
//   timed is the sender's cost and not how fast the receiver reads;
// - the one-time load of the native binary (fresh child processes, median);
// - import of the package + listenFds() (fresh child processes, median).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { LIBRARY_ROOT, LIBRARY_URL, requireBuiltLibrary } from '../lib/library.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { median } from '../lib/stats.mjs';
import { timedBatches } from '../lib/timed-batches.mjs';

const binary = path.join(LIBRARY_ROOT, 'prebuilds', `linux-${process.arch}`, 'sdnode.node');

const BATCHES = 7;
const CALLS_PER_BATCH = 2_000;
// Fewer than net.unix.max_dgram_qlen (default 10): a full queue would make each send wait for the receiver.
const ROUND = 8;
const CHILD_RUNS = 7;
const GOAL_US = 20;

requireBuiltLibrary();

const fmt = (n, digits = 2) => n.toFixed(digits);

/** Runs `code` (an ES module) in CHILD_RUNS fresh node processes; each prints one number. */
function childMedian(code) {
  const results = [];
  for (let i = 0; i < CHILD_RUNS; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
      encoding: 'utf8',
      env: { ...process.env, LISTEN_PID: undefined },
    });
    results.push(Number(out.trim()));
  }
  return median(results);
}

async function notifyCost() {
  const { address, lines, stop } = await startReceiver(['--drain']);
  try {
    process.env.NOTIFY_SOCKET = address;
    const { notify } = await import(LIBRARY_URL);

    const native = createRequire(import.meta.url)(binary);
    const rawMessage = Buffer.from('STATUS=raw\n');

    // Alternate batches of notify.status() and of the bare native send (same
    // kernel path, no validation or formatting) so both see the same load.
    let delivered = 0;
    const sends = {
      notify: (batch, i) => notify.status(`batch ${batch} call ${i}`),
      raw: () => native.send(address, rawMessage, []),
    };
    const perCall = await timedBatches(sends, {
      batches: BATCHES,
      callsPerBatch: CALLS_PER_BATCH,
      round: ROUND,
      drained: async () => {
        // Every datagram must have reached the receiver, and its queue is empty again: it counts them.
        notify.send({ SYNC: 1 });
        delivered += ROUND + 1;
        const { count } = JSON.parse((await lines.next()).value);
        if (count !== delivered) throw new Error(`receiver got ${count} datagrams, ${delivered} were sent`);
      },
    });
    return {
      median: median(perCall.notify),
      min: Math.min(...perCall.notify),
      max: Math.max(...perCall.notify),
      raw: median(perCall.raw),
    };
  } finally {
    stop();
  }
}

const notifyResult = await notifyCost();
const loadMs = childMedian(
  `const start = performance.now();
   process.dlopen({ exports: {} }, ${JSON.stringify(binary)}); // as the library loads it
   console.log(performance.now() - start);`,
);
const importMs = childMedian(
  `const start = performance.now();
   const { listenFds } = await import(${JSON.stringify(LIBRARY_URL)});
   listenFds();
   console.log(performance.now() - start);`,
);

console.log(`node ${process.version}, ${process.platform}-${process.arch}`);
console.log(
  `notify.status(): ${fmt(notifyResult.median)} µs per call (median of ${BATCHES} batches of ${CALLS_PER_BATCH}, ` +
    `min ${fmt(notifyResult.min)}, max ${fmt(notifyResult.max)}; goal <= ${GOAL_US} µs: ${notifyResult.median <= GOAL_US ? 'met' : 'NOT met'})`,
);
console.log(
  `  bare native send of a fixed message: ${fmt(notifyResult.raw)} µs per call; notify's own work is the difference. ` +
    `Sent in rounds of ${ROUND}, each read by the receiver before the next (its queue holds ` +
    `net.unix.max_dgram_qlen=${readFileSync('/proc/sys/net/unix/max_dgram_qlen', 'utf8').trim()} datagrams).`,
);
console.log(`native binary load: ${fmt(loadMs, 3)} ms (median of ${CHILD_RUNS} fresh processes)`);
console.log(`import + listenFds(): ${fmt(importMs, 3)} ms (median of ${CHILD_RUNS} fresh processes)`);
if (process.argv.includes('--json')) {
  console.log(
    JSON.stringify({
      'notify.status() per call (µs, median)': Number(fmt(notifyResult.median)),
      'bare native send per call (µs, median)': Number(fmt(notifyResult.raw)),
      [`notify goal <= ${GOAL_US} µs`]: notifyResult.median <= GOAL_US ? 'met' : 'not met',
      'native binary load (ms, median)': Number(fmt(loadMs, 3)),
      'import + listenFds() (ms, median)': Number(fmt(importMs, 3)),
    }),
  );
}
