/**
 * Wraps `run` so that runs never overlap: a call while one runs is answered by one more run
 * after it, which every call made meanwhile shares. So whatever state the last call asked for,
 * a run that started after it brings it about — a reload or a rolling restart asked for twice
 * during one is done once more, not twice and not never.
 */
export function oneAtATime<T>(run: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  let next: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const running = run().finally(() => {
      if (current === running) current = undefined;
    });
    current = running;
    return running;
  };
  return () => {
    if (next) return next;
    if (!current) return start();
    next = current
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };
}
