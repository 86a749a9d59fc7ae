// The README's "Deploying with unit files", run as written under a real systemd manager: each
// `<!-- systemd: run -->` block in order, in /opt/sdnode of the test bed, its output compared with the
// `<!-- systemd: output -->` block after it (see readme-blocks.ts for what is normalized), and after
// the blocks that change what runs, the state they promise (ports, processes, unit files).
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAnswer, waitFor } from '../support/index.js';
import { Bed, REPO_IN_BED, skipReason, type ExecResult } from './harness.js';
import { linkHostAlternatives } from './host-alternatives.js';
import { deployBlocks, normalize, readOnly, withoutSudo, type DeployBlock } from './readme-blocks.js';

const reason = skipReason();
if (reason) console.log(`skipped: ${reason}`);
const suite = reason ? describe.skip : describe;

const PORTS = [7001, 7002, 7003];
const UNIT_FILES = [
  'socket-service.socket',
  'socket-service.service',
  'socket-service-accepted.socket',
  'socket-service-accepted@.service',
  'socket-service-inet.socket',
  'socket-service-inet@.service',
];
const SOCKETS = UNIT_FILES.filter((u) => u.endsWith('.socket'));

const BLOCKS = deployBlocks();

/** Loopback ports in LISTEN state, from the host's view of the network the bed shares. */
function listening(): number[] {
  const ports: number[] = [];
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    const [address, port] = (local ?? '').split(':');
    if (state === '0A' && address === '0100007F' && port) ports.push(parseInt(port, 16));
  }
  return PORTS.filter((p) => ports.includes(p));
}

suite('README "Deploying with unit files" under a real systemd manager', () => {
  let bed: Bed;
  let sudo = false;

  beforeAll(async () => {
    bed = await Bed.boot({
      ports: PORTS,
      // The shipped-units suite holds the same ports for a few minutes.
      lockTimeoutMs: 600_000,
      needs: [
        'scripts/install-units.sh',
        ...['socket-service', 'socket-service-accepted', 'socket-service-inet'].map((p) => `packages/${p}/dist/main.js`),
      ],
    });
    await linkHostAlternatives(bed);
    sudo = (await bed.exec(['sh', '-c', 'command -v sudo'], { allowFailure: true })).code === 0;
  }, 720_000);

  afterAll(async () => {
    expect((await bed?.shutdown()) ?? []).toEqual([]);
  }, 60_000);

  /** Runs a block as a user pastes it into a shell in the repository: stdin empty, failing on the first error. */
  function runBlock(block: DeployBlock): Promise<ExecResult> {
    const commands = sudo ? block.commands : withoutSudo(block.commands);
    return bed.exec(['bash', '-euo', 'pipefail', '-c', `cd ${REPO_IN_BED}\n${commands}`], { allowFailure: true });
  }

  const unitFilesInstalled = async (): Promise<string[]> =>
    (await bed.exec(['ls', '/etc/systemd/system'])).stdout.split('\n').filter((f) => f.startsWith('socket-service'));

  /** The daemons' processes in the bed (pgrep -a lines). */
  const daemons = async (): Promise<string> =>
    (await bed.exec(['pgrep', '-a', '-f', `${REPO_IN_BED}/packages/`], { allowFailure: true })).stdout;

  async function socketsListenWithNoProcess(): Promise<void> {
    expect(listening()).toEqual(PORTS);
    for (const socket of SOCKETS) {
      const s = await bed.show(socket, ['ActiveState', 'SubState']);
      expect([socket, s.ActiveState, s.SubState]).toEqual([socket, 'active', 'listening']);
    }
    expect(await bed.show('socket-service.service', ['ActiveState', 'MainPID'])).toEqual({ ActiveState: 'inactive', MainPID: '0' });
    expect(await bed.systemctl('list-units', '--plain', '--no-legend', 'socket-service*.service')).toBe('');
    expect(await daemons()).toBe('');
  }

  /** What must hold after a block, by what it does. */
  const afterwards: [RegExp, () => Promise<void>][] = [
    [/^sudo \.\/scripts\/install-units\.sh$/m, socketsListenWithNoProcess],
    [
      /Environment=IDLE_TIMEOUT=60/,
      async () => {
        // The restarted daemon has the timeout, and serves.
        const s = await bed.show('socket-service.service', ['SubState', 'MainPID']);
        expect(s.SubState).toBe('running');
        const environ = (await bed.exec(['cat', `/proc/${s.MainPID}/environ`])).stdout.split('\0');
        expect(environ).toContain('IDLE_TIMEOUT=60');
        expect(await fetchAnswer(7001)).toEqual({ data: 'This is a test\n' });
        expect((await bed.show('socket-service.service', ['MainPID'])).MainPID).toBe(s.MainPID);
      },
    ],
    [
      /install-units\.sh --uninstall$/m,
      async () => {
        expect(await unitFilesInstalled()).toEqual([]);
        expect(listening()).toEqual([]);
        for (const unit of ['socket-service.socket', 'socket-service.service']) {
          expect((await bed.show(unit, ['LoadState'])).LoadState).toBe('not-found');
        }
        expect(await daemons()).toBe('');
      },
    ],
    [
      /install-units\.sh --no-start$/m,
      async () => {
        expect((await unitFilesInstalled()).sort()).toEqual([...UNIT_FILES].sort());
        expect(listening()).toEqual([]); // nothing told systemd yet
      },
    ],
    [/^sudo systemctl start socket-service\.socket/m, socketsListenWithNoProcess],
  ];

  it('runs every shell block of the section, and the section has each deploy step', () => {
    const all = BLOCKS.map((b) => b.commands).join('');
    for (const step of [
      'sudo ./scripts/install-units.sh\n',
      'nc 127.0.0.1 7001\n',
      'systemctl status socket-service.service\n',
      'nc 127.0.0.1 7002\n',
      'nc 127.0.0.1 7003\n',
      'IDLE_TIMEOUT=60',
      'sudo ./scripts/install-units.sh --uninstall\n',
      'sudo ./scripts/install-units.sh --no-start\n',
      'sudo systemctl daemon-reload\n',
    ]) {
      expect(all).toContain(step);
    }
    for (const [pattern] of afterwards)
      expect(
        BLOCKS.some((b) => pattern.test(b.commands)),
        String(pattern),
      ).toBe(true);
  });

  it.each(BLOCKS.map((b) => [`${b.commands.trim().split('\n').join('; ')} (README line ${b.line})`, b] as const))(
    '`%s` prints what the README shows',
    async (_name, block) => {
      // Questions to systemd are asked again until they match (bounded): the manager applies the
      // daemon's STATUS= and the journal its lines a moment after the connection that caused them.
      let r = await runBlock(block);
      if (readOnly(block.commands)) {
        await waitFor(
          'the output the README shows',
          async () => {
            if (normalize(r.stdout) === normalize(block.output)) return true;
            r = await runBlock(block);
            return undefined;
          },
          20_000,
          500,
        ).catch(() => {}); // the assertions below show the last answer
      }
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(normalize(r.stdout)).toBe(normalize(block.output));
      for (const [pattern, check] of afterwards) if (pattern.test(block.commands)) await check();
    },
    60_000,
  );
});
