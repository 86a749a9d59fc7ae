// Per-call cost of a few send functions, timed in interleaved batches (batch -1 warms up): each
// batch is sent in rounds shorter than the receiver's queue, and after each round `drained(name)`
// waits until the receiver has read everything, so that what is timed is the sender's cost and
// not how fast the receiver reads.

/**
 * @param {Record<string, (batch: number, i: number) => void>} sends the contenders, by name
 * @param {{ batches: number, callsPerBatch: number, round: number, drained: (name: string) => Promise<void> }} options
 * @returns {Promise<Record<string, number[]>>} µs per call of each kept batch, by name
 */
export async function timedBatches(sends, { batches, callsPerBatch, round, drained }) {
  const perCall = Object.fromEntries(Object.keys(sends).map((name) => [name, []]));
  for (let batch = -1; batch < batches; batch++) {
    for (const [name, send] of Object.entries(sends)) {
      let elapsedNs = 0n;
      for (let done = 0; done < callsPerBatch; done += round) {
        const start = process.hrtime.bigint();
        for (let i = done; i < done + round; i++) send(batch, i);
        elapsedNs += process.hrtime.bigint() - start;
        await drained(name);
      }
      if (batch >= 0) perCall[name].push(Number(elapsedNs) / 1000 / callsPerBatch);
    }
  }
  return perCall;
}
