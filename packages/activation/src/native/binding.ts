import { existsSync } from 'node:fs';
import { SystemdError } from '../errors.js';
import { basename, dirname, join, resolve } from 'node:path';
import { getSystemErrorName } from 'node:util';

/**
 * The native part: what Node core cannot do for systemd. Errors thrown by these
 * functions look like Node's system errors: `code` is the errno name
 * ('ENOENT', …), `errno` the negated number, `syscall` the failed call.
 */
export interface NativeBinding {
  /**
   * Sends one datagram to an AF_UNIX SOCK_DGRAM socket ('/path' or '@abstract', checked by the
   * caller), passing `fds` with SCM_RIGHTS, without ever blocking. Returns 0, or the negated errno
   * (`-EAGAIN` when the receiver's queue is full; name it with `util.getSystemErrorName`).
   * Throws a TypeError only for arguments of the wrong type.
   */
  send(path: string, message: Buffer, fds: number[]): number;
  /** A close-on-exec copy of `fd` (numbered 3 or above); throws EBADF, EMFILE. */
  dup(fd: number): number;
  /** Exact socket kind and local address of `fd` (getsockopt + getsockname); throws EBADF / ENOTSOCK. */
  socketInfo(fd: number): {
    domain: number;
    type: number;
    listening: boolean;
    address?: string;
    port?: number;
    /** unix sockets: '/path', '@abstract', or '' when unnamed */
    path?: string;
    /** listening TCP sockets: the kernel's backlog (TCP_INFO), already capped by net.core.somaxconn */
    backlog?: number;
  };
  /** A close-on-exec pipe: [readFd, writeFd]. */
  pipe(): [number, number];
  /**
   * Sends one journal entry to journald's socket at `path` without blocking (EAGAIN when its queue
   * is full); an entry too large for a datagram goes as a sealed memfd.
   */
  journalSend(path: string, entry: Buffer): void;
  /** A non-blocking AF_UNIX datagram socket with SO_PASSCRED, bound to '/path' or '@abstract'; throws EADDRINUSE, … */
  bindDatagram(path: string): number;
  /**
   * One datagram from `fd` without blocking, null when none waits. `size` is its real length (`data`
   * keeps at most 4097 bytes); pid/uid/gid are -1 without credentials; `fds` (close-on-exec) are the
   * caller's to close. Throws recvmsg's errors other than EAGAIN.
   */
  receive(fd: number): ReceivedDatagram | null;
  /** The fds among `fds` (at most 64) that are readable, hung up or in error within `timeoutMs` (with `hangUpOnly`: hung up or in error); [] when none. Polls on the thread pool; reads and accepts nothing. */
  waitReadable(fds: number[], timeoutMs: number, hangUpOnly?: boolean): Promise<number[]>;
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
 * musl one; the first that loads wins. `SDNODE_NATIVE_PATH` names the binary
 * (or the folder holding it) instead, for a bundle deployed without the
 * package. The result, success or not, is kept for the life of the process.
 * `SDNODE_NO_NATIVE=1` turns the native part off. Throws nothing: why it did
 * not load is `nativeLoadError()`.
 */
export function loadNative(): NativeBinding | undefined {
  loaded ??= load();
  return loaded.binding;
}

/** Why `loadNative()` returned undefined, and how to fix it (undefined when it loaded). */
export function nativeLoadError(): string | undefined {
  loaded ??= load();
  return loaded.error;
}

const FIX =
  "copy the package's prebuilds/ folder next to the bundled file, or set SDNODE_NATIVE_PATH to the sdnode.node file (or its folder)";

function load(): { binding: NativeBinding | undefined; error: string | undefined } {
  if (process.env.SDNODE_NO_NATIVE === '1') {
    return { binding: undefined, error: 'the native part is disabled by SDNODE_NO_NATIVE=1' };
  }
  const platform = `${process.platform}-${process.arch}`;
  const override = process.env.SDNODE_NATIVE_PATH;
  if (override) {
    const file = override.endsWith('.node') ? override : join(override, 'sdnode.node');
    const failure = existsSync(file) ? dlopen(file) : 'not found';
    if (typeof failure !== 'string') return { binding: failure, error: undefined };
    return {
      binding: undefined,
      error: `SDNODE_NATIVE_PATH=${override}: ${file}: ${failure} (expected the sdnode.node of prebuilds/${platform})`,
    };
  }
  const searched: string[] = [];
  const failures: string[] = [];
  for (const packageRoot of packageRoots()) {
    searched.push(packageRoot);
    for (const variant of [platform, `${platform}-musl`]) {
      const file = join(packageRoot, 'prebuilds', variant, 'sdnode.node');
      if (!existsSync(file)) continue;
      const failure = dlopen(file);
      if (typeof failure !== 'string') return { binding: failure, error: undefined };
      failures.push(`${file}: ${failure}`);
    }
  }
  const found = failures.length > 0 ? `; ${failures.join('; ')}` : '';
  return {
    binding: undefined,
    error: `no prebuilt native binary loads for ${platform} (prebuilds/ looked for in ${searched.join(', ')}${found}); to fix it, ${FIX}`,
  };
}

/** The binding, or why it does not load. */
function dlopen(file: string): NativeBinding | string {
  // process.dlopen, not require(): the binary's path is known, and require's resolution and
  // error handling cost more than loading the binary itself, on every daemon's start path.
  const module = { exports: {} };
  try {
    process.dlopen(module, file);
    return withErrnoNames(module.exports as NativeBinding);
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * The addon's errors carry the errno number only: the name (`code`) comes from Node's own table,
 * so that the C part holds no copy of it. `send` reports by return value and needs no wrapper.
 */
function withErrnoNames(raw: NativeBinding): NativeBinding {
  const named =
    <A extends unknown[], R>(call: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return call(...args);
      } catch (error) {
        throw withCode(error);
      }
    };
  return {
    send: raw.send,
    dup: named(raw.dup),
    socketInfo: named(raw.socketInfo),
    pipe: named(raw.pipe),
    journalSend: named(raw.journalSend),
    bindDatagram: named(raw.bindDatagram),
    receive: named(raw.receive),
    listenSocket: named(raw.listenSocket),
    waitReadable: (fds, timeoutMs, hangUpOnly) =>
      named(raw.waitReadable)(fds, timeoutMs, hangUpOnly).catch((error: unknown) => {
        throw withCode(error);
      }),
  };
}

function withCode(error: unknown): unknown {
  const e = error as NodeJS.ErrnoException;
  if (typeof e.errno === 'number' && e.code === undefined) {
    e.code = getSystemErrorName(e.errno);
    e.message = `${e.message} (${e.code})`;
  }
  return e;
}

/**
 * Where prebuilds/ may be: one level above this module (dist/index.js and dist/index.cjs sit there),
 * two when it runs from source (src/native/binding.ts); when this code is inlined into a bundle, next
 * to the bundle, then the library as installed in a node_modules folder above it (looked up as Node
 * would, without require.resolve's cost).
 */
function* packageRoots(): Generator<string> {
  // The CommonJS builds define import.meta.dirname as __dirname; a bundler that leaves it empty
  // (esbuild, ES module source to CommonJS output) gets the main script's directory.
  const here: string = import.meta.dirname ?? dirname(resolve(process.argv[1] ?? '.'));
  yield resolve(here, '..');
  if (basename(here) === 'native') yield resolve(here, '../..');
  yield here;
  for (let dir = here; ; dir = dirname(dir)) {
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
