// Scenario 6: a client stays connected across `systemctl restart` through the manager's fd store
// (examples/fd-store-handover under a real systemd).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, waitFor, Wakeups } from '../support/index.js';
import { Bed, REPO_IN_BED, skipReason } from './harness.js';

const reason = skipReason();
if (reason) console.log(`skipped: ${reason}`);
const suite = reason ? describe.skip : describe;

const PORT = 7010; // examples/fd-store-handover/fd-store-handover.socket
const SERVICE = 'fd-store-handover.service';

/** A line-at-a-time client: send a line, get the daemon's answer. */
class Client {
  private buffered = '';
  private readonly arrivals = new Wakeups();
  closed = false;
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffered += d;
      this.arrivals.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.arrivals.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(new Client(socket)));
      socket.once('error', reject);
    });
  }

  async ask(line: string, timeoutMs = 15_000): Promise<string> {
    this.socket.write(`${line}\n`);
    await this.arrivals.until(() => this.buffered.includes('\n') || this.closed, timeoutMs);
    if (!this.buffered.includes('\n')) {
      throw new Error(`${this.closed ? 'connection closed' : `no answer to ${line}`}; got ${JSON.stringify(this.buffered)}`);
    }
    const answer = this.buffered.slice(0, this.buffered.indexOf('\n') + 1);
    this.buffered = this.buffered.slice(answer.length);
    return answer;
  }

  end(): void {
    this.socket.destroy();
  }
}

suite('fd-store handover under a real systemd manager', () => {
  let bed: Bed;

  beforeAll(async () => {
    const library = fs.readFileSync(path.join(REPO_ROOT, 'packages/activation/dist/index.js'), 'utf8');
    if (!/\brestoreConnections\b/.test(library) || !/\bstoreConnections\b/.test(library)) {
      throw new Error(
        'packages/activation/dist/index.js lacks storeConnections/restoreConnections, which the example ' +
          "imports: src/index.ts must export them from './fd-store.js' (then rebuild)",
      );
    }
    bed = await Bed.boot({ ports: [PORT], needs: ['packages/activation/dist/index.js'] });
    const example = `${REPO_IN_BED}/examples/fd-store-handover`;
    await bed.exec([
      'sh',
      '-c',
      `cp ${example}/fd-store-handover.socket /etc/systemd/system/ && ` +
        `sed -e 's|@NODE@|/usr/bin/node|' -e 's|@REPO@|${REPO_IN_BED}|' ${example}/${SERVICE} > /etc/systemd/system/${SERVICE}`,
    ]);
    await bed.systemctl('daemon-reload');
    await bed.systemctl('start', 'fd-store-handover.socket');
  }, 120_000);

  afterAll(async () => {
    const problems = await bed?.shutdown();
    expect(problems ?? []).toEqual([]);
  }, 60_000);

  it('keeps a client connected across systemctl restart and serves it from the new instance', async () => {
    const client = await Client.connect(PORT);
    try {
      const first = await client.ask('before restart');
      const before = await bed.show(SERVICE, ['MainPID', 'ActiveState']);
      expect(first).toBe(`${before.MainPID}: before restart\n`);

      await bed.systemctl('restart', SERVICE);
      const after = await waitFor('a new main process', async () => {
        const s = await bed.show(SERVICE, ['MainPID', 'ActiveState', 'StatusText', 'NRestarts']);
        return s.ActiveState === 'active' && s.MainPID !== before.MainPID && s.MainPID !== '0' ? s : undefined;
      });
      expect(after.StatusText).toBe('Serving; 1 connection taken over from the previous instance');
      // Taken back and removed from the store, so that closing the connection later really closes it.
      await waitFor('an empty fd store', async () =>
        (await bed.show(SERVICE, ['NFileDescriptorStore'])).NFileDescriptorStore === '0' ? true : undefined,
      );

      expect(await client.ask('after restart')).toBe(`${after.MainPID}: after restart\n`);
      expect(client.closed).toBe(false);

      // The listening socket kept working, and the new instance serves new clients too.
      const second = await Client.connect(PORT);
      expect(await second.ask('new client')).toBe(`${after.MainPID}: new client\n`);
      second.end();

      // A second restart hands over both connections that are still open.
      await bed.systemctl('restart', SERVICE);
      const third = await waitFor('a third main process', async () => {
        const s = await bed.show(SERVICE, ['MainPID', 'ActiveState', 'StatusText']);
        return s.ActiveState === 'active' && s.MainPID !== after.MainPID && s.MainPID !== '0' ? s : undefined;
      });
      expect(await client.ask('again')).toBe(`${third.MainPID}: again\n`);
      expect(third.StatusText).toMatch(/^Serving; (1 connection|2 connections) taken over/);
    } finally {
      client.end();
    }
  }, 120_000);

  it('systemctl stop releases what the store holds: the client sees its connection close', async () => {
    const client = await Client.connect(PORT);
    try {
      const answer = await client.ask('hello');
      expect(answer).toBe(`${(await bed.show(SERVICE, ['MainPID'])).MainPID}: hello\n`);
      await bed.systemctl('stop', SERVICE);
      expect(await bed.show(SERVICE, ['ActiveState', 'NFileDescriptorStore'])).toEqual({
        ActiveState: 'inactive',
        NFileDescriptorStore: '0',
      });
      await waitFor('the connection to close', () => (client.closed ? true : undefined));
    } finally {
      client.end();
    }
  }, 60_000);
});
