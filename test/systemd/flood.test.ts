// A flood of connections against the shipped Accept=yes sockets under a real systemd manager: past
// MaxConnections= (in all) and MaxConnectionsPerSource= (from one address) systemd drops the
// connection instead of starting one more Node.js process, and the service serves normally after.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAnswer, sleep, waitFor } from '../support/index.js';
import { Bed, skipReason } from './harness.js';

const reason = skipReason();
if (reason) console.log(`skipped: ${reason}`);
const suite = reason ? describe.skip : describe;

const MODES = [
  {
    port: 7002,
    socket: 'socket-service-accepted.socket',
    template: 'socket-service-accepted@',
    answer: 'This socket was already accepted\n',
  },
  {
    port: 7003,
    socket: 'socket-service-inet.socket',
    template: 'socket-service-inet@',
    answer: 'This socket was passed on stdin/stdout\n',
  },
];
// What the shipped sockets say (checked below, so that the test follows the units).
const MAX_CONNECTIONS = 16;
const MAX_PER_SOURCE = 4;

/**
 * A flooding client from `source`: connects, never sends, never closes its side; records what the
 * server sent until it closed its side. A connection systemd drops ends with no data.
 */
class Flooder {
  data = '';
  readonly done: Promise<void>;
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8').on('data', (d: string) => (this.data += d));
    // Done when the server has closed its side (half-open: this side stays open, as a flooder's would).
    this.done = new Promise((resolve) => {
      socket.once('end', () => resolve());
      socket.once('close', () => resolve());
      socket.on('error', () => {});
    });
  }

  static open(port: number, source: string): Promise<Flooder> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress: source, allowHalfOpen: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new Flooder(socket));
      });
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

suite('a connection flood against the shipped Accept=yes sockets under a real systemd manager', () => {
  let bed: Bed;
  const flooders: Flooder[] = [];

  beforeAll(async () => {
    bed = await Bed.boot({
      ports: MODES.map((m) => m.port),
      needs: ['scripts/install-units.sh', 'packages/socket-service-accepted/dist/main.js', 'packages/socket-service-inet/dist/main.js'],
    });
    console.log((await bed.installUnits()).trim());
  }, 120_000);

  afterAll(async () => {
    for (const f of flooders.splice(0)) f.destroy();
    const problems = await bed?.shutdown();
    expect(problems ?? []).toEqual([]);
  }, 60_000);

  async function instances(template: string): Promise<number> {
    const out = await bed.systemctl('list-units', '--plain', '--no-legend', `${template}*`);
    return out.split('\n').filter((line) => line.trim() !== '').length;
  }

  /**
   * Opens `perSource` connections from each of `sources` at once and holds them while counting the
   * instances, until the server has closed every one (dropped at once, or ended after the daemon's
   * reply). Returns the answers and the most instances seen at once.
   */
  async function flood(mode: (typeof MODES)[number], sources: string[], perSource: number) {
    let most = 0;
    let counting = true;
    const counter = (async () => {
      while (counting) {
        most = Math.max(most, await instances(mode.template));
        await sleep(100);
      }
    })();
    const opened = await Promise.all(sources.flatMap((source) => Array.from({ length: perSource }, () => Flooder.open(mode.port, source))));
    flooders.push(...opened);
    try {
      let closed = false;
      void Promise.all(opened.map((f) => f.done)).then(() => (closed = true));
      await waitFor('every flooding connection closed by the server', () => (closed ? true : undefined), 60_000);
    } finally {
      counting = false;
      await counter;
    }
    return { answered: opened.filter((f) => f.data === mode.answer).length, dropped: opened.filter((f) => f.data === '').length, most };
  }

  async function servesNormally(mode: (typeof MODES)[number]): Promise<void> {
    await waitFor('the flood instances gone', async () => ((await instances(mode.template)) === 0 ? true : undefined), 60_000);
    expect(await fetchAnswer(mode.port)).toEqual({ data: mode.answer });
    expect((await bed.show(mode.socket, ['ActiveState', 'SubState'])).SubState).toBe('listening');
  }

  it('the shipped sockets bound connections, the services bound memory', async () => {
    for (const mode of MODES) {
      const socket = await bed.show(mode.socket, ['MaxConnections', 'MaxConnectionsPerSource']);
      expect(socket).toEqual({ MaxConnections: String(MAX_CONNECTIONS), MaxConnectionsPerSource: String(MAX_PER_SOURCE) });
      expect((await bed.show(`${mode.template}bound.service`, ['MemoryMax'])).MemoryMax).toBe(String(128 * 1024 * 1024));
    }
  });

  describe.each(MODES)('$template', (mode) => {
    it(`from one address: ${MAX_PER_SOURCE} instances at most; other addresses are still served`, async () => {
      const flooding = flood(mode, ['127.0.0.1'], 2 * MAX_PER_SOURCE);
      // While that address is at its limit, another one gets its answer.
      await waitFor('the flood to hold its instances', async () => ((await instances(mode.template)) >= MAX_PER_SOURCE ? true : undefined));
      const other = await Flooder.open(mode.port, '127.0.0.9');
      flooders.push(other);
      await other.done;
      expect(other.data).toBe(mode.answer);
      const { answered, dropped, most } = await flooding;
      console.log(
        `${mode.template}: ${2 * MAX_PER_SOURCE} connections from one address → ${answered} answered, ${dropped} dropped, ${most} instances at most`,
      );
      expect([answered, dropped]).toEqual([MAX_PER_SOURCE, MAX_PER_SOURCE]);
      expect(most).toBeLessThanOrEqual(MAX_PER_SOURCE + 1);
      expect(await bed.journal(mode.socket)).toMatch(/Too many incoming connections \(\d+\) from source 127\.0\.0\.1, dropping connection/);
      await servesNormally(mode);
    }, 120_000);

    it(`in all: ${MAX_CONNECTIONS} instances at most, whatever the number of addresses`, async () => {
      const sources = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
      const { answered, dropped, most } = await flood(mode, sources, MAX_PER_SOURCE);
      console.log(
        `${mode.template}: ${sources.length * MAX_PER_SOURCE} connections from ${sources.length} addresses → ${answered} answered, ${dropped} dropped, ${most} instances at most`,
      );
      expect([answered, dropped]).toEqual([MAX_CONNECTIONS, sources.length * MAX_PER_SOURCE - MAX_CONNECTIONS]);
      expect(most).toBeLessThanOrEqual(MAX_CONNECTIONS);
      expect(most).toBeGreaterThan(MAX_PER_SOURCE);
      expect(await bed.journal(mode.socket)).toMatch(/Too many incoming connections \(\d+\), dropping connection/);
      await servesNormally(mode);
    }, 120_000);
  });
});
