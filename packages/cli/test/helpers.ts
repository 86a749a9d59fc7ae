// What only the CLI's tests need: the running `sdnode activate` and its --json events. Everything
// else (processes, ports, clients, waits) comes from the shared test/support.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, Running, freePort } from '../../../test/support/index.js';

/** The built CLI (the test runs it as a user would, through node). */
export const SDNODE = path.join(REPO_ROOT, 'packages/cli/dist/main.js');

/** One --json event line of sdnode's stderr. */
export interface Event {
  event: string;
  pid?: number;
  message: string;
  fields?: Record<string, string>;
  [detail: string]: unknown;
}

/** A running `sdnode activate --json …`, listening on `port`. */
export class Sdnode extends Running {
  constructor(
    args: string[],
    readonly port: number,
  ) {
    if (!fs.existsSync(SDNODE)) throw new Error(`${SDNODE} is missing: build first (pnpm run build)`);
    super(process.execPath, [SDNODE, 'activate', '--json', ...args]);
  }

  /** Every event so far (stderr lines that are sdnode's JSON; the services' own lines are skipped). */
  events(): Event[] {
    return this.stderrLines('{"time"').map((line) => JSON.parse(line) as Event);
  }

  /** Resolves with the count-th event that matches, waiting at most timeoutMs. */
  async waitForEvent(match: (event: Event) => boolean, count = 1, timeoutMs = 20_000): Promise<Event> {
    const found = () => this.events().filter(match);
    const pattern = { test: () => found().length >= count } as unknown as RegExp;
    if (!(await this.waitForStderr(pattern, timeoutMs))) {
      throw new Error(`no such event (${count}) within ${timeoutMs} ms; stderr:\n${this.stderr}`);
    }
    return found()[count - 1] as Event;
  }
}

/**
 * Starts sdnode on a free loopback port (`args(port)` builds its options) and waits until it
 * listens.
 */
export async function startSdnode(args: (port: number) => string[]): Promise<Sdnode> {
  const port = await freePort();
  const sdnode = new Sdnode(args(port), port);
  const listening = await sdnode.waitForStderr(/"event":"listening"/, 20_000);
  if (listening && sdnode.alive) return sdnode;
  await sdnode.stop();
  throw new Error(`sdnode did not start: ${sdnode.stderr}`);
}
