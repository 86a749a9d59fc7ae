import { readFileSync, statSync } from 'node:fs';
import { listenPidNamedThisProcess } from './listen/passed-fds.js';

/** True when the system was booted with systemd (sd_booted(): /run/systemd/system is a directory). */
export function isBooted(): boolean {
  return isBootedAt('/run/systemd/system');
}

/** isBooted() for another marker directory. */
export function isBootedAt(directory: string): boolean {
  try {
    return statSync(`${directory}/`).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The unit invocation's id (INVOCATION_ID, 32 lowercase hex digits as systemd sets it), or
 * undefined when absent or malformed: a garbled value is ignored rather than reported.
 */
export function invocationId(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.INVOCATION_ID;
  return value !== undefined && /^[0-9a-f]{32}$/.test(value) ? value : undefined;
}

/**
 * True when this process is the one the service manager started (or socket-activated), not a
 * child of it — children inherit INVOCATION_ID and NOTIFY_SOCKET, so those alone prove nothing:
 *  1. LISTEN_PID or WATCHDOG_PID names this process;
 *  2. else SYSTEMD_EXEC_PID (systemd ≥ 248) is set: it must name this process;
 *  3. else (older systemd) INVOCATION_ID is valid, this process is in a `.service` cgroup, and its
 *     parent is not in that cgroup (the parent is the manager, system or user, in a container or not).
 */
export function underSystemd(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): boolean {
  const self = String(pid);
  if (env.WATCHDOG_PID === self || (env === process.env && pid === process.pid ? listenPidNamedThisProcess() : env.LISTEN_PID === self)) {
    return true;
  }
  if (env.SYSTEMD_EXEC_PID !== undefined) return env.SYSTEMD_EXEC_PID === self;
  if (invocationId(env) === undefined) return false;
  const ours = systemdCgroup(String(pid));
  if (ours === undefined || !/\.service$/.test(ours)) return false;
  const parent = parentPid(String(pid));
  return parent !== undefined && systemdCgroup(parent) !== ours;
}

/** The process's cgroup in the hierarchy systemd organises: `name=systemd` (v1/hybrid) or the unified one. */
function systemdCgroup(pid: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const named = lines.find((l) => /^\d+:name=systemd:/.test(l));
  const line = named ?? lines.find((l) => l.startsWith('0::'));
  return line?.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
}

function parentPid(pid: string): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may contain spaces: fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
  } catch {
    return undefined;
  }
}
