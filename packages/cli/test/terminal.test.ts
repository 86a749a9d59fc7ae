// sdnode activate as run at a terminal: in a real pseudo-terminal (util-linux's script), the keys
// a user presses reach sdnode alone, and the service gets one signal; and a service never
// outlives a killed sdnode.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, httpGet, freePort, Running, stopAll, waitFor } from '../../../test/support/index.js';
import { type Event, SDNODE, startSdnode } from './helpers.js';

afterEach(stopAll);

const CTRL_C = '\x03';

/** `sdnode activate --json` as a terminal's foreground job: script's stdin is what is typed, its stdout the screen. */
class AtTerminal extends Running {
  constructor(readonly port: number) {
    const command = [
      process.execPath,
      SDNODE,
      'activate',
      '--json',
      '-l',
      `127.0.0.1:${port}`,
      '--',
      process.execPath,
      fixture('cli', 'slow-reply.mjs'),
    ];
    super('script', ['-qefc', `exec ${command.map((word) => `'${word}'`).join(' ')}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  type(keys: string): void {
    this.child.stdin?.write(keys);
  }

  events(): Event[] {
    return this.stdout
      .split(/\r?\n/)
      .filter((line) => line.includes('{"time"'))
      .map((line) => JSON.parse(line.slice(line.indexOf('{"time"'))) as Event); // after a key's echo: ^C
  }

  async waitForEvent(match: (event: Event) => boolean): Promise<Event> {
    const found = () => this.events().find(match);
    if (!(await this.waitForOutput(() => found() !== undefined, 20_000))) throw new Error(`no such event; screen:\n${this.stdout}`);
    return found() as Event;
  }
}

/** Gone, or a zombie nobody has reaped yet: either way it runs no more. */
function runs(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function requestInFlight(sdnode: AtTerminal) {
  await sdnode.waitForEvent((e) => e.event === 'listening');
  const reply = httpGet(sdnode.port).catch((error: Error) => error);
  const answering = await sdnode.waitForEvent((e) => e.event === 'notify' && /^answering/.test(e.fields?.STATUS ?? ''));
  return { reply, pid: answering.pid as number };
}

describe('sdnode activate at a terminal', () => {
  it('Ctrl-C with a request in flight: the service gets one SIGTERM, answers, and both exit 0', async () => {
    const sdnode = new AtTerminal(await freePort());
    const { reply, pid } = await requestInFlight(sdnode);
    sdnode.type(CTRL_C);
    expect(await reply).toEqual({ status: 200, body: `answered by ${pid}\n` });
    expect(await sdnode.waitForExit()).toEqual({ code: 0, signal: null });
    expect(
      sdnode
        .events()
        .filter((e) => e.event === 'stop')
        .map((e) => e.message),
    ).toEqual(['SIGINT: stopping (SIGTERM)']);
    expect(sdnode.events().find((e) => e.event === 'exit')).toMatchObject({ pid, status: 0 });
    // The service stopped for sdnode's SIGTERM: the terminal's SIGINT never reached it.
    const stopping = sdnode.events().find((e) => e.event === 'notify' && e.fields?.STOPPING === '1');
    expect(stopping?.fields?.STATUS).toBe('SIGTERM: no longer accepting, finishing 1 open connection');
  });

  it('Ctrl-C twice: the stop is forced, the service is gone at once and the client gets no reply', async () => {
    const sdnode = new AtTerminal(await freePort());
    const { reply, pid } = await requestInFlight(sdnode);
    sdnode.type(CTRL_C);
    await sdnode.waitForEvent((e) => e.event === 'stop');
    sdnode.type(CTRL_C);
    expect(await sdnode.waitForEvent((e) => e.event === 'exit')).toMatchObject({ pid, signal: 'SIGKILL' });
    expect(runs(pid)).toBe(false);
    expect(await reply).toBeInstanceOf(Error);
    expect(await sdnode.waitForExit()).toEqual({ code: 137, signal: null });
  });
});

describe('sdnode activate killed', () => {
  it('SIGKILL to sdnode: the kernel kills the service too (PR_SET_PDEATHSIG), which does not run on orphaned', async () => {
    const sdnode = await startSdnode((port) => ['-l', `127.0.0.1:${port}`, '--', process.execPath, fixture('cli', 'slow-reply.mjs')]);
    const reply = httpGet(sdnode.port).catch((error: Error) => error);
    const answering = await sdnode.waitForEvent((e) => e.event === 'notify' && /^answering/.test(e.fields?.STATUS ?? ''));
    const pid = answering.pid as number;
    sdnode.signal('SIGKILL');
    await waitFor(`pid ${pid} to end`, () => !runs(pid), 10_000);
    expect(await reply).toBeInstanceOf(Error);
  });
});
