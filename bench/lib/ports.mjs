// Random loopback ports from the benchmark's range, never the same one twice in a run.

const FIRST = 29000;
const LAST = 29999;
const used = new Set();

export function pickPort() {
  if (used.size > (LAST - FIRST) * 0.9) used.clear();
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = FIRST + Math.floor(Math.random() * (LAST - FIRST + 1));
    if (!used.has(port)) {
      used.add(port);
      return port;
    }
  }
  throw new Error(`no unused port left in ${FIRST}-${LAST}`);
}
