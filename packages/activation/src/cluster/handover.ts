import type { Worker } from 'node:cluster';

// The two steps of handing one worker's place to another in a rolling restart.

/** Resolves true once `worker` listens, false when it exits first or `timeoutMs` passes. */
export function listensWithin(worker: Worker, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (result: boolean): void => {
      clearTimeout(timer);
      worker.off('listening', onListening).off('exit', onExit);
      resolve(result);
    };
    const onListening = (): void => done(true);
    const onExit = (): void => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    worker.on('listening', onListening).on('exit', onExit);
  });
}

/** SIGTERM (the worker drains), SIGKILL past `deadlineMs`; resolves once it has exited. */
export function retire(worker: Worker, deadlineMs: number): Promise<void> {
  if (worker.isDead()) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => worker.process.kill('SIGKILL'), deadlineMs);
    worker.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    worker.process.kill('SIGTERM');
    // Round-robin hands the worker one accepted connection at a time until it hears the worker
    // closed its server; one sent as the worker exits is never read, nor given back: the
    // client hangs. disconnect() stops the hand-offs now, so every connection sent to it is in
    // its pipe before the signal and is either taken or handed back. The worker's close of its
    // servers on that message comes after the signal's, as the message comes after it.
    if (worker.isConnected()) worker.disconnect();
  });
}
