/**
 * One value per process, shared by every copy of the library loaded in it: an ESM application with
 * a CommonJS plugin, or two versions side by side, each have their own module state, but only one
 * process environment and one set of fds. The key is a registered symbol, so each copy finds the
 * same slot on globalThis; the shapes stored there must therefore stay compatible across versions.
 */
export function processGlobal<T>(key: string, create: () => T): T {
  const slot = Symbol.for(`@sdnode/activation.${key}`);
  const store = globalThis as unknown as Record<symbol, T | undefined>;
  if (store[slot] === undefined) {
    Object.defineProperty(globalThis, slot, { value: create(), configurable: false, enumerable: false, writable: false });
  }
  return store[slot] as T;
}
