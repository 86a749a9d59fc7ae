// What /proc says about the processes a measurement started.
import fs from 'node:fs';

/** Peak resident set size in kB (VmHWM), or undefined once the process is gone. */
export function peakRssKb(pid) {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Pids whose parent is `pid` (zombies included: they still count until reaped). */
export function childrenOf(pid) {
  const children = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name in parentheses may contain spaces: fields start after the last ')'.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** Polls until `pid` has no children; true if that happened within `timeoutMs`. */
export async function waitNoChildren(pid, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (childrenOf(pid).length === 0) return true;
    await sleep(5);
  }
  return false;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** CPU time of the process's main thread so far, in ns (/proc/PID/schedstat). */
export function cpuNanoseconds(pid) {
  return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

/**
 * CPU time so far, in ns, of every thread of `pid` and of its children (a cluster's primary and
 * workers; libuv's and V8's threads included), from each thread's /proc/…/task/TID/schedstat.
 */
export function treeCpuNanoseconds(pid) {
  let total = 0;
  for (const process of [pid, ...childrenOf(pid)]) {
    let threads = [];
    try {
      threads = fs.readdirSync(`/proc/${process}/task`);
    } catch {
      continue; // gone meanwhile
    }
    for (const thread of threads) {
      try {
        total += Number(fs.readFileSync(`/proc/${process}/task/${thread}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // gone meanwhile
      }
    }
  }
  return total;
}

/** TCP sockets on this host in TIME_WAIT (state 06 in /proc/net/tcp and tcp6). */
export function timeWaitCount() {
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) if (line.split(/\s+/)[4] === '06') count++;
    } catch {
      // no IPv6
    }
  }
  return count;
}
