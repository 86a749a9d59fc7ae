import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The native part: what Node core cannot do for systemd. Errors thrown by these
 * functions look like Node's system errors: `code` is the errno name
 * ('ENOENT', …), `errno` the negated number, `syscall` the failed call.
 */
export interface NativeBinding {
  /** Sends one datagram to an AF_UNIX SOCK_DGRAM socket ('/path' or '@abstract'), passing `fds` with SCM_RIGHTS. */
  send(path: string, message: Buffer, fds: number[]): void;
  /** Exact socket kind and local address of `fd` (getsockopt + getsockname); throws EBADF / ENOTSOCK. */
  socketInfo(fd: number): {
    domain: number;
    type: number;
    protocol: number;
    listening: boolean;
    address?: string;
    port?: number;
    /** unix sockets: '/path', '@abstract', or '' when unnamed */
    path?: string;
  };
  /** A close-on-exec pipe: [readFd, writeFd]. */
  pipe(): [number, number];
}

let loaded: { binding: NativeBinding | undefined; error: string | undefined } | undefined;

/**
 * Loads the prebuilt binary shipped in `prebuilds/` (no install step, no
 * compiler on the user's machine). Tried in order: the glibc build, then the
 * musl one; the first that loads wins. The result, success or not, is kept for
 * the life of the process. `SDNODE_NO_NATIVE=1` turns the native part off.
 */
export function loadNative(): NativeBinding | undefined {
  loaded ??= load();
  return loaded.binding;
}

/** Why `loadNative()` returned undefined (undefined when it loaded). */
export function nativeLoadError(): string | undefined {
  loaded ??= load();
  return loaded.error;
}

function load(): { binding: NativeBinding | undefined; error: string | undefined } {
  if (process.env.SDNODE_NO_NATIVE === '1') {
    return { binding: undefined, error: 'the native part is disabled by SDNODE_NO_NATIVE=1' };
  }
  const requireNative = createRequire(import.meta.url);
  const platform = `${process.platform}-${process.arch}`;
  const failures: string[] = [];
  for (const packageRoot of packageRoots(requireNative)) {
    for (const variant of [platform, `${platform}-musl`]) {
      const file = path.join(packageRoot, 'prebuilds', variant, 'sdnode.node');
      try {
        return { binding: requireNative(file) as NativeBinding, error: undefined };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        failures.push(code === 'MODULE_NOT_FOUND' ? `${file}: not found` : `${file}: ${(error as Error).message}`);
      }
    }
  }
  return { binding: undefined, error: `no prebuilt native binary loads for ${platform}: ${failures.join('; ')}` };
}

/**
 * Where prebuilds/ may be: one level above this module (dist/index.js, dist/index.cjs and src/native.ts all
 * sit there), and, when this code is inlined into another package's bundle, the installed library's root.
 */
function packageRoots(requireFromHere: NodeJS.Require): string[] {
  const roots = [path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')];
  try {
    roots.push(path.dirname(requireFromHere.resolve('@sdnode/activation/package.json')));
  } catch {
    // Not installed next to this bundle: the first root is all there is.
  }
  return [...new Set(roots)];
}
