/**
 * Exclusive use of loopback ports across test processes: the units inside every test bed listen on
 * fixed ports of the host's network (the shipped units on 7001–7003), so two beds with a port in
 * common must not run at the same time. Vitest runs test files in parallel, and more than one test
 * run may share the machine.
 *
 * One flock(1) per port, held by a child process that lives until we release it or die: the kernel
 * drops the locks with the child, so a crashed test leaves no stale lock behind.
 */
import { spawn } from 'node:child_process';

export const FLOCK = '/usr/bin/flock';
const LOCK_DIR = '/run/lock';

export interface PortLock {
  release(): Promise<void>;
}

export function lockFile(port: number): string {
  return `${LOCK_DIR}/sdnode-test-port-${port}.lock`;
}

/** Waits (at most `timeoutMs` per port) until no other holder of any of `ports` remains, then holds them. */
export function lockPorts(ports: number[], timeoutMs: number): Promise<PortLock> {
  // Always in ascending order, so two beds wanting overlapping ports cannot deadlock.
  const files = [...new Set(ports)].sort((a, b) => a - b).map(lockFile);
  const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  // The locks live on the open files, which `cat` inherits and keeps until its stdin (our pipe) closes.
  const script =
    `for f in "$@"; do exec {fd}>"$f" && ${FLOCK} -x -w "$0" "$fd" ` +
    '|| { echo "timed out after $0 s waiting for $f" >&2; exit 1; }; done; echo locked; exec cat >/dev/null';
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/setpriv', ['--pdeathsig', 'SIGKILL', '--', '/bin/bash', '-c', script, seconds, ...files], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin' },
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<void>((done) => child.once('close', () => done()));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.startsWith('locked\n')) {
        resolve({
          release: async () => {
            child.stdin.end();
            await exited;
          },
        });
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => {});
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (!stdout.startsWith('locked\n')) {
        reject(new Error(`locking ports ${ports.join(', ')} (${FLOCK}): ${stderr.trim() || `exit ${signal ?? code}`}`));
      }
    });
  });
}
