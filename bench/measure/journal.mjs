// Cost of one journal log call next to one console.error, measured on the built package (run
// after `pnpm run build`):   node bench/measure/journal.mjs [--json]
// - createLogger().info() to a real AF_UNIX datagram receiver that reads every datagram
//   (notify-receiver.py --drain), in rounds shorter than its queue, each drained before the next,
//   so that what is timed is the sender's cost, not how fast the receiver reads;
// - console.error() of the same line to stderr redirected to a pipe that this process reads;
// interleaved batch by batch in one child process, medians over the batches.
// With --json the last line is one JSON object of the figures (bench/measure/notify.mjs reads it).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JOURNAL_URL, LIBRARY_URL, requireBuiltLibrary } from '../lib/library.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { median } from '../lib/stats.mjs';
import { timedBatches } from '../lib/timed-batches.mjs';

const BATCHES = 9;
const CALLS_PER_BATCH = 2_000;
// Fewer than net.unix.max_dgram_qlen (default 10): a full queue would time the receiver.
const ROUND = 8;

const fmt = (n) => n.toFixed(2);

requireBuiltLibrary();

if (process.argv[2] === '--child') await child();
else await parent();

async function parent() {
  // The child's stderr is a pipe read (and dropped) here, as a supervisor or a shell pipeline would.
  const measuring = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child'], { stdio: ['ignore', 'pipe', 'pipe'] });
  measuring.stderr.resume();
  let stdout = '';
  measuring.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  const code = await new Promise((resolve) => measuring.once('close', resolve));
  if (code !== 0) throw new Error(`the measuring process exited with ${code}`);
  report(JSON.parse(stdout.trim().split('\n').pop()));
}

async function child() {
  const { address, lines, stop } = await startReceiver(['--drain'], 'journal.sock');
  try {
    console.log(JSON.stringify(await measure(address, lines)));
  } finally {
    stop();
  }
}

async function measure(address, counts) {
  const { notify } = await import(LIBRARY_URL);
  const { createLogger } = await import(JOURNAL_URL);
  const log = createLogger('sdnode-bench', { target: 'journal', socket: address });
  const line = (batch, i) => `batch ${batch} call ${i}: a line of the usual length for a service log`;
  const sends = {
    journal: (batch, i) => log.info(line(batch, i)),
    console: (batch, i) => console.error(line(batch, i)),
  };
  let delivered = 0;
  const perCall = await timedBatches(sends, {
    batches: BATCHES,
    callsPerBatch: CALLS_PER_BATCH,
    round: ROUND,
    drained: async (name) => {
      // Every datagram has reached the receiver and its queue is empty again (both contenders wait the same).
      notify.send({ SYNC: 1 }, { env: { NOTIFY_SOCKET: address } });
      delivered += (name === 'journal' ? ROUND : 0) + 1;
      const { count } = JSON.parse((await counts.next()).value);
      if (count !== delivered) throw new Error(`receiver got ${count} datagrams, ${delivered} were sent`);
    },
  });
  if (log.target !== 'journal') throw new Error(`the logger fell back to ${log.target}`);
  const ratios = perCall.journal.map((us, i) => us / perCall.console[i]);
  return { journal: median(perCall.journal), console: median(perCall.console), ratio: median(ratios) };
}

function report({ journal, console: consoleError, ratio }) {
  console.log(`node ${process.version}, ${process.platform}-${process.arch}`);
  console.log(`journal log call: ${fmt(journal)} µs per call (median of ${BATCHES} batches of ${CALLS_PER_BATCH})`);
  console.log(`console.error to a pipe: ${fmt(consoleError)} µs per call (same batches, interleaved)`);
  console.log(`journal ÷ console.error: ${fmt(ratio)} (median of the per-batch ratios)`);
  if (process.argv.includes('--json')) {
    console.log(
      JSON.stringify({
        'journal log call (µs, median)': Number(fmt(journal)),
        'console.error to a pipe (µs, median)': Number(fmt(consoleError)),
        'journal ÷ console.error (median of per-batch ratios)': Number(fmt(ratio)),
      }),
    );
  }
}
