import { existsSync } from 'node:fs';
import { SystemdError } from './errors.js';
import { dirname, join, resolve } from 'node:path';

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
  /** A non-blocking AF_UNIX datagram socket with SO_PASSCRED, bound to '/path' or '@abstract'; throws EADDRINUSE, … */
  bindDatagram(path: string): number;
  /**
   * One datagram from `fd` without blocking, null when none waits. `size` is its real length (`data`
   * keeps at most 4097 bytes); pid/uid/gid are -1 without credentials; `fds` (close-on-exec) are the
   * caller's to close. Throws recvmsg's errors other than EAGAIN.
   */
  receive(fd: number): ReceivedDatagram | null;
  /** The fds among `fds` (at most 64) that are readable, hung up or in error within `timeoutMs`; [] when none. Polls on the thread pool; reads and accepts nothing. */
  waitReadable(fds: number[], timeoutMs: number): Promise<number[]>;
  /** A bound (and, unless SOCK_DGRAM, listening) close-on-exec socket whose connections nobody accepts; throws EADDRINUSE, EACCES, EINVAL, … */
  listenSocket(domain: number, type: number, address: string, port: number, backlog: number): number;
}

/** What `receive()` returns for one datagram. */
export interface ReceivedDatagram {
  data: Buffer;
  size: number;
  pid: number;
  uid: number;
  gid: number;
  fds: number[];
  /** the datagram or its fds did not fit */
  truncated: boolean;
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
  const platform = `${process.platform}-${process.arch}`;
  const failures: string[] = [];
  for (const packageRoot of packageRoots()) {
    for (const variant of [platform, `${platform}-musl`]) {
      const file = join(packageRoot, 'prebuilds', variant, 'sdnode.node');
      if (!existsSync(file)) {
        failures.push(`${file}: not found`);
        continue;
      }
      // process.dlopen, not require(): the binary's path is known, and require's resolution and
      // error handling cost more than loading the binary itself, on every daemon's start path.
      const module = { exports: {} };
      try {
        process.dlopen(module, file);
        return { binding: module.exports as NativeBinding, error: undefined };
      } catch (error) {
        failures.push(`${file}: ${(error as Error).message}`);
      }
    }
  }
  return { binding: undefined, error: `no prebuilt native binary loads for ${platform}: ${failures.join('; ')}` };
}

/**
 * Where prebuilds/ may be: one level above this module (dist/index.js, dist/index.cjs and src/native.ts all
 * sit there), then, when this code is inlined into another package's bundle, the library as installed in a
 * node_modules folder above the bundle (looked up as Node would, without require.resolve's cost).
 */
function* packageRoots(): Generator<string> {
  // The CommonJS builds define import.meta.dirname as __dirname; a bundler that leaves it empty
  // gets the node_modules lookup from the main script's directory.
  const here: string | undefined = import.meta.dirname;
  if (here !== undefined) yield resolve(here, '..');
  const start = here ?? dirname(resolve(process.argv[1] ?? '.'));
  for (let dir = start; ; dir = dirname(dir)) {
    const installed = join(dir, 'node_modules', '@sdnode', 'activation');
    if (existsSync(installed)) yield installed;
    if (dirname(dir) === dir) return;
  }
}

/** The native part, or a SystemdError (ENOTSUP) saying that `what` needs it and why it did not load. */
export function requireNative(what: string): NativeBinding {
  const binding = loadNative();
  if (binding === undefined) throw new SystemdError(`${what} needs the native part, which did not load: ${nativeLoadError()}`, 'ENOTSUP');
  return binding;
}
