/**
 * A real systemd manager for the tests: the host's own /usr booted as PID 1 in a throwaway
 * `systemd-nspawn --volatile=yes` container that shares the host's network, so units listening on
 * 127.0.0.1 inside are reachable from the test. The repository is staged into a world-readable
 * directory and bound read-only at /opt/sdnode, where `DynamicUser=` services can read it.
 *
 * Needs root and systemd-nspawn; `skipReason()` says why not otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, Running, sleep, waitFor } from '../support/index.js';
import { FLOCK, lockPorts, type PortLock } from './port-lock.js';

/** Where the staged repository appears inside the container. */
export const REPO_IN_BED = '/opt/sdnode';

const CGROUP_ROOT = '/sys/fs/cgroup';
const NSPAWN = '/usr/bin/systemd-nspawn';
const NSENTER = '/usr/bin/nsenter';
const SETPRIV = '/usr/bin/setpriv';

/** Why the systemd tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'systemd test bed: needs root (systemd-nspawn boots a real manager)';
  if (!fs.existsSync(NSPAWN)) return `systemd test bed: ${NSPAWN} missing (Debian package systemd-container)`;
  for (const tool of [NSENTER, SETPRIV, FLOCK]) {
    if (!fs.existsSync(tool)) return `systemd test bed: ${tool} missing (Debian package util-linux)`;
  }
  if (cgroupHierarchies().length === 0) return 'systemd test bed: no name=systemd or cgroup2 hierarchy mounted under /sys/fs/cgroup';
  return undefined;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  allowFailure?: boolean;
}

/** Runs a program to completion without blocking the event loop (tests run clients meanwhile). */
export async function run(argv: string[], options: RunOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('run: empty argv');
  const child = new Running(file, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', SYSTEMD_PAGER: 'cat', SYSTEMD_COLORS: '0' },
  });
  const failed = new Promise<never>((_, reject) => child.child.once('error', reject));
  child.child.stdin!.on('error', () => {});
  child.child.stdin!.end(options.input ?? '');
  const timer = setTimeout(() => child.signal('SIGKILL'), options.timeoutMs ?? 60_000);
  try {
    const { code, signal } = await Promise.race([child.exited, failed]);
    const result = { code, signal, stdout: child.stdout, stderr: child.stderr };
    if (code === 0 || options.allowFailure) return result;
    throw new Error(`${argv.join(' ')} → ${signal ?? code}\n${child.stderr || child.stdout}`);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// cgroup isolation: a manager started in a cgroup we share with others would adopt their processes.

interface Hierarchy {
  mount: string;
  v2: boolean;
}

/** The hierarchies the manager uses: name=systemd and cgroup2 on the hybrid layout, cgroup2 alone on unified. */
function cgroupHierarchies(): Hierarchy[] {
  const found: Hierarchy[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mount = left.split(' ')[4];
    const [fstype, , superOptions = ''] = right.split(' ');
    if (!mount?.startsWith(CGROUP_ROOT)) continue;
    if (fstype === 'cgroup2') found.push({ mount, v2: true });
    else if (fstype === 'cgroup' && superOptions.split(',').includes('name=systemd')) found.push({ mount, v2: false });
  }
  return found;
}

/** Our current cgroup in a hierarchy, from /proc/self/cgroup ("0::/path" for cgroup2). */
function currentCgroup(hierarchy: Hierarchy): string {
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [id, controllers, cgPath] = line.split(':');
    if (cgPath === undefined) continue;
    if (hierarchy.v2 ? id === '0' && controllers === '' : controllers === 'name=systemd') return cgPath;
  }
  throw new Error(`cannot find this process's cgroup for ${hierarchy.mount} in /proc/self/cgroup`);
}

interface CgroupJail {
  dirs: string[];
  previous: string[];
}

function enterCgroup(id: string): CgroupJail {
  const jail: CgroupJail = { dirs: [], previous: [] };
  try {
    for (const hierarchy of cgroupHierarchies()) {
      const previous = path.join(hierarchy.mount, currentCgroup(hierarchy));
      const dir = path.join(previous, id);
      fs.mkdirSync(dir);
      jail.dirs.push(dir);
      jail.previous.push(previous);
      fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(process.pid));
    }
  } catch (err) {
    leaveCgroup(jail);
    throw err;
  }
  return jail;
}

/** Moves this process back and removes the directories (nspawn adds payload/ and supervisor/), deepest first. */
function leaveCgroup(jail: CgroupJail): string[] {
  const problems: string[] = [];
  jail.dirs.forEach((dir, i) => {
    try {
      fs.writeFileSync(path.join(jail.previous[i]!, 'cgroup.procs'), String(process.pid));
    } catch (err) {
      problems.push(`moving back from ${dir}: ${String(err)}`);
    }
    for (const sub of subdirsDeepestFirst(dir)) {
      try {
        fs.rmdirSync(sub);
      } catch (err) {
        const procs = readProcs(sub);
        problems.push(`removing ${sub}: ${String(err)}${procs.length ? ` (processes left: ${procs.join(' ')})` : ''}`);
      }
    }
  });
  return problems;
}

function subdirsDeepestFirst(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...subdirsDeepestFirst(path.join(dir, entry.name)));
  }
  out.push(dir);
  return out;
}

function readProcs(dir: string): string[] {
  try {
    return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Processes anywhere below a cgroup directory other than this one. */
function processesBelow(dir: string): string[] {
  return subdirsDeepestFirst(dir)
    .flatMap(readProcs)
    .filter((p) => p !== String(process.pid));
}

// ---------------------------------------------------------------------------------------------
// staging

/** What the shipped units and scripts need at run time, copied so every user inside can read it. */
const STAGED = ['package.json', 'packages', 'units', 'scripts', 'examples'];

function stageRepo(needs: string[]): string {
  for (const need of needs) {
    const file = path.join(REPO_ROOT, need);
    if (!fs.existsSync(file)) throw new Error(`${file} missing: build first (pnpm run build)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdnode-bed-'));
  for (const entry of STAGED) {
    const from = path.join(REPO_ROOT, entry);
    if (!fs.existsSync(from)) continue;
    // verbatimSymlinks keeps pnpm's relative workspace links (packages/x/node_modules/@sdnode/activation).
    fs.cpSync(from, path.join(dir, entry), { recursive: true, verbatimSymlinks: true });
  }
  makeWorldReadable(dir);
  return dir;
}

function makeWorldReadable(p: string): void {
  const st = fs.lstatSync(p);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    fs.chmodSync(p, 0o755);
    for (const entry of fs.readdirSync(p)) makeWorldReadable(path.join(p, entry));
  } else {
    fs.chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
  }
}

// ---------------------------------------------------------------------------------------------
// ports

/** Fails clearly when something on the host already listens where the units will. */
export async function assertPortsFree(ports: number[]): Promise<void> {
  for (const port of ports) {
    await new Promise<void>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`127.0.0.1:${port} is in use on the host (${err.code}); the units under test need it`)),
      );
      server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve()));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// the bed

export interface BootOptions {
  /** Loopback ports the units will listen on: held exclusively (see port-lock.ts) and checked free before boot. */
  ports?: number[];
  /** How long to wait for another bed to give the ports up. */
  lockTimeoutMs?: number;
  /** Repository files the test needs (e.g. built daemons); a clear error names the first one missing. */
  needs?: string[];
  /** Log lines (boot time etc.) go here. */
  log?: (line: string) => void;
  bootTimeoutMs?: number;
}

export class Bed {
  /** Milliseconds from starting nspawn to `is-system-running` = running/degraded. */
  bootMs = 0;
  pid1 = 0;
  private nspawn: ChildProcess | undefined;
  private nspawnExited: Promise<void> = Promise.resolve();
  private jail: CgroupJail | undefined;
  private portLock: PortLock | undefined;
  private staged: string | undefined;
  private consoleLog = '';
  private down = false;
  private readonly onExit = (): void => this.exitNow();

  private constructor(
    readonly machine: string,
    private readonly log: (line: string) => void,
  ) {}

  static async boot(options: BootOptions = {}): Promise<Bed> {
    const reason = skipReason();
    if (reason) throw new Error(reason);
    const machine = `sdnode-bed-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
    const bed = new Bed(machine, options.log ?? ((line) => console.log(line)));
    try {
      if (options.ports?.length) bed.portLock = await lockPorts(options.ports, options.lockTimeoutMs ?? 90_000);
      await assertPortsFree(options.ports ?? []);
      bed.staged = stageRepo(options.needs ?? []);
      bed.jail = enterCgroup(machine);
      process.once('exit', bed.onExit);
      await bed.start(options.bootTimeoutMs ?? 60_000);
    } catch (err) {
      const problems = await bed.shutdown().catch((e: unknown) => [String(e)]);
      throw new Error(
        `${String(err)}${problems.length ? `\ncleanup: ${problems.join('; ')}` : ''}` +
          `\n--- container console (tail) ---\n${bed.consoleLog.slice(-3000)}`,
      );
    }
    return bed;
  }

  private async start(timeoutMs: number): Promise<void> {
    const started = performance.now();
    // If this test process dies without cleaning up, the kernel sends nspawn SIGTERM (PR_SET_PDEATHSIG),
    // which powers the container off: its PID 1 would otherwise outlive nspawn, holding the ports.
    const child = spawn(
      SETPRIV,
      [
        '--pdeathsig',
        'SIGTERM',
        '--',
        NSPAWN,
        '--quiet',
        '--volatile=yes',
        '-D',
        '/',
        '--register=no',
        '--keep-unit',
        `--machine=${this.machine}`,
        `--bind-ro=${this.staged}:${REPO_IN_BED}`,
        '-b',
        'systemd.firstboot=off',
        'systemd.unit=multi-user.target',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', SYSTEMD_COLORS: '0' } },
    );
    this.nspawn = child;
    const keep = (d: Buffer): void => {
      this.consoleLog = (this.consoleLog + d.toString('utf8')).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.nspawnExited = new Promise((resolve) => child.once('exit', () => resolve()));
    let exited = false;
    void this.nspawnExited.then(() => (exited = true));
    this.pid1 = await waitFor(
      "the container's PID 1",
      async () => {
        if (exited) throw new Error('systemd-nspawn exited during boot');
        const r = await run(['pgrep', '-P', String(child.pid), '-x', 'systemd'], { allowFailure: true });
        const pid = Number(r.stdout.trim().split('\n')[0]);
        return pid > 0 ? pid : undefined;
      },
      timeoutMs,
    );
    const state = await waitFor(
      'is-system-running = running/degraded',
      async () => {
        if (exited) throw new Error('systemd-nspawn exited during boot');
        const r = await this.exec(['systemctl', 'is-system-running'], { allowFailure: true });
        const s = r.stdout.trim();
        return s === 'running' || s === 'degraded' ? s : undefined;
      },
      timeoutMs,
    );
    this.bootMs = Math.round(performance.now() - started);
    this.log(`systemd test bed ${this.machine}: ${state} after ${this.bootMs} ms (systemd PID 1 = host pid ${this.pid1})`);
  }

  /** Runs a program inside the container (its mount, pid, uts and ipc namespaces; the host's network). */
  exec(argv: string[], options: RunOptions = {}): Promise<ExecResult> {
    return run([NSENTER, '-t', String(this.pid1), '-m', '-p', '-u', '-i', '--', ...argv], options);
  }

  async systemctl(...args: string[]): Promise<string> {
    return (await this.exec(['systemctl', '--no-pager', ...args])).stdout;
  }

  /** `systemctl show` as a record; every requested property is present (empty string when unset). */
  async show(unit: string, props: string[]): Promise<Record<string, string>> {
    const out = await this.systemctl('show', unit, `--property=${props.join(',')}`);
    const record: Record<string, string> = Object.fromEntries(props.map((p) => [p, '']));
    for (const line of out.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) record[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return record;
  }

  /** The unit's journal, message text only. */
  async journal(unit: string, extra: string[] = []): Promise<string> {
    return (await this.exec(['journalctl', '--no-pager', '-o', 'cat', '-u', unit, ...extra], { allowFailure: true })).stdout;
  }

  /** Writes a file inside the container (its root is a tmpfs, so /etc is writable and thrown away). */
  async writeFile(file: string, content: string): Promise<void> {
    await this.exec(['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', file], { input: content });
  }

  /** Adds a drop-in to a unit and reloads the manager. */
  async dropIn(unit: string, name: string, content: string): Promise<void> {
    await this.writeFile(`/etc/systemd/system/${unit}.d/${name}.conf`, content);
    await this.systemctl('daemon-reload');
  }

  async removeDropIn(unit: string, name: string): Promise<void> {
    await this.exec(['rm', '-f', `/etc/systemd/system/${unit}.d/${name}.conf`]);
    await this.systemctl('daemon-reload');
  }

  /** Runs the repository's own installer inside, the way a user deploys the units. */
  async installUnits(extra: string[] = []): Promise<string> {
    const r = await this.exec([
      'bash',
      `${REPO_IN_BED}/scripts/install-units.sh`,
      '--repo',
      REPO_IN_BED,
      '--node',
      '/usr/bin/node',
      ...extra,
    ]);
    return r.stdout + r.stderr;
  }

  /**
   * Powers the container off and removes everything the bed made. Always safe to call; returns the
   * problems found (leftover processes, mounts, directories) so afterAll can fail on them.
   */
  async shutdown(timeoutMs = 30_000): Promise<string[]> {
    if (this.down) return [];
    this.down = true;
    const problems: string[] = [];
    const child = this.nspawn;
    if (child && child.exitCode === null && child.signalCode === null) {
      if (this.pid1) await this.exec(['systemctl', 'poweroff'], { allowFailure: true, timeoutMs: 10_000 }).catch(() => {});
      else child.kill('SIGTERM');
      const clean = await Promise.race([this.nspawnExited.then(() => true), sleep(timeoutMs).then(() => false)]);
      if (!clean) {
        problems.push(`systemd-nspawn did not exit within ${timeoutMs} ms after poweroff; killed`);
        this.killNow();
        await Promise.race([this.nspawnExited, sleep(10_000)]);
      }
    }
    if (this.jail) {
      const jail = this.jail;
      // The container's last processes leave their cgroups a moment after nspawn exits.
      await waitFor(
        "the container's processes to be gone",
        () => (jail.dirs.every((d) => processesBelow(d).length === 0) ? true : undefined),
        10_000,
      ).catch((err: unknown) => {
        problems.push(String(err));
      });
      problems.push(...leaveCgroup(jail));
      this.jail = undefined;
    }
    if (this.staged) {
      const mounted = fs
        .readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .filter((l) => l.includes(this.staged!) || l.includes(this.machine));
      if (mounted.length) problems.push(`mounts left behind: ${mounted.join(' | ')}`);
      fs.rmSync(this.staged, { recursive: true, force: true });
      this.staged = undefined;
    }
    fs.rmSync(`/run/systemd/nspawn/propagate/${this.machine}`, { recursive: true, force: true });
    // Released last: the ports are free once the container is gone.
    await this.portLock?.release();
    this.portLock = undefined;
    process.removeListener('exit', this.onExit);
    return problems;
  }

  /** Last resort (process exit, hung poweroff): kill the container's init and nspawn by pid. */
  private killNow(): void {
    const child = this.nspawn;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    if (this.pid1) {
      try {
        process.kill(this.pid1, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    child.kill('SIGKILL');
  }

  /** On process exit nothing asynchronous runs any more: kill, then undo what we can synchronously. */
  private exitNow(): void {
    if (this.down) return;
    this.killNow();
    if (this.jail) {
      spawnSync('sleep', ['0.5']);
      leaveCgroup(this.jail);
    }
    if (this.staged) fs.rmSync(this.staged, { recursive: true, force: true });
  }
}
