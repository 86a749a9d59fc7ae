// P5: peak RSS of the process that serves a connection, and what is left running
// once it is idle. Mode 1: VmHWM from /proc of the daemon (which the launcher became)
// after one connection; ours is started with an idle timeout and must then exit.
// Modes 2/3: each connection's process is short-lived, so it runs under
// bench/out/maxrss, which reports the peak from wait4(); afterwards no process
// may remain besides the launcher (under systemd: none at all).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fetchOnce } from '../lib/client.mjs';
import { startActivated } from '../lib/launcher.mjs';
import { childrenOf, peakRssKb, sleep, waitNoChildren } from '../lib/procs.mjs';
import { rounds } from './rounds.mjs';

const IDLE_TIMEOUT_S = 1;
const IDLE_EXIT_BOUND_MS = 10_000;

export async function measureMemory(mode, contenders, { rounds: count, maxrss }) {
  const idle = new Map();
  const results = await rounds(contenders, count, (contender) =>
    mode.id === 'listen' ? listenSample(mode, contender, idle) : perConnectionSample(mode, contender, maxrss, idle),
  );
  return results.map((result) => ({ ...result, idle: idle.get(result.contender) }));
}

async function listenSample(mode, contender, idle) {
  const ours = contender.role === 'ours';
  const env = ours ? { ...contender.env, IDLE_TIMEOUT: String(IDLE_TIMEOUT_S) } : contender.env;
  const launcher = await startActivated(mode.launcherArgs, contender.command, env);
  try {
    await fetchOnce(launcher.port, mode.expected);
    const peak = peakRssKb(launcher.pid);
    if (peak === undefined) throw new Error(`pid ${launcher.pid} gone before its VmHWM was read`);
    if (ours) {
      const start = Date.now();
      const exit = await Promise.race([launcher.exited, sleep(IDLE_EXIT_BOUND_MS).then(() => undefined)]);
      idle.set(
        contender,
        exit === undefined
          ? `still running ${IDLE_EXIT_BOUND_MS / 1000} s after IDLE_TIMEOUT=${IDLE_TIMEOUT_S}`
          : `exited (${exit.code ?? exit.signal}) ${((Date.now() - start) / 1000).toFixed(1)} s after the connection; ` +
              `0 processes (pid ${launcher.pid} gone, ${childrenOf(launcher.pid).length} children)`,
      );
    }
    return peak / 1024;
  } finally {
    await launcher.stop();
  }
}

async function perConnectionSample(mode, contender, maxrss, idle) {
  const file = path.join(os.tmpdir(), `sdnode-bench-maxrss-${process.pid}-${Date.now()}`);
  const env = { ...contender.env, MAXRSS_FILE: file };
  const launcher = await startActivated(mode.launcherArgs, [maxrss, ...contender.command], env);
  try {
    await fetchOnce(launcher.port, mode.expected);
    const gone = await waitNoChildren(launcher.pid, IDLE_EXIT_BOUND_MS);
    idle.set(
      contender,
      gone
        ? '0 processes after the connection (only the listener: systemd itself under a unit)'
        : `a process still runs ${IDLE_EXIT_BOUND_MS / 1000} s after the connection`,
    );
    const kb = Number(fs.readFileSync(file, 'utf8').trim().split('\n').pop());
    if (!(kb > 0)) throw new Error(`no peak RSS recorded for ${contender.name}`);
    return kb / 1024;
  } finally {
    fs.rmSync(file, { force: true });
    await launcher.stop();
  }
}
