// The repository's own units (units/), installed with scripts/install-units.sh, under a real
// systemd manager: the three activation modes, notify and watchdog, restarts without losing a
// connection, graceful stop, idle exit, and the hardening the units ship with.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { storm } from './storm.js';
import { fetchAnswer, HeldConnection, sleep, waitFor } from '../support/index.js';
import { Bed, skipReason } from './harness.js';

const reason = skipReason();
if (reason) console.log(`skipped: ${reason}`);
const suite = reason ? describe.skip : describe;

const MODE1 = { port: 7001, socket: 'socket-service.socket', service: 'socket-service.service', answer: 'This is a test\n' };
const MODE2 = {
  port: 7002,
  socket: 'socket-service-accepted.socket',
  template: 'socket-service-accepted@',
  answer: 'This socket was already accepted\n',
};
const MODE3 = {
  port: 7003,
  socket: 'socket-service-inet.socket',
  template: 'socket-service-inet@',
  answer: 'This socket was passed on stdin/stdout\n',
};
const SERVICES = ['socket-service.service', 'socket-service-accepted@.service', 'socket-service-inet@.service'];

suite('the shipped units under a real systemd manager', () => {
  let bed: Bed;
  const started = performance.now();

  const state = (unit: string, props = ['ActiveState', 'SubState', 'MainPID', 'NRestarts', 'Result', 'StatusText']) =>
    bed.show(unit, props);

  /** Waits until `unit`'s properties satisfy `ok`; returns them. */
  const waitUnit = (unit: string, what: string, ok: (s: Record<string, string>) => boolean, timeoutMs = 30_000) =>
    waitFor(
      `${unit}: ${what}`,
      async () => {
        const s = await state(unit);
        return ok(s) ? s : undefined;
      },
      timeoutMs,
    );

  /**
   * Stops the mode 1 service and clears its failure and start-rate counters, so each test starts clean
   * (a service that hits its start limit takes its socket down with it).
   */
  async function resetMode1(): Promise<void> {
    await bed.systemctl('stop', MODE1.service);
    await bed.systemctl('reset-failed', MODE1.service, MODE1.socket).catch(() => '');
    await bed.systemctl('start', MODE1.socket);
    await waitUnit(MODE1.service, 'inactive', (s) => s.ActiveState === 'inactive' && s.MainPID === '0');
  }

  beforeAll(async () => {
    bed = await Bed.boot({
      ports: [MODE1.port, MODE2.port, MODE3.port],
      needs: [
        'packages/activation/dist/index.js',
        'scripts/install-units.sh',
        ...['socket-service', 'socket-service-accepted', 'socket-service-inet'].map((p) => `packages/${p}/dist/main.js`),
      ],
    });
    console.log((await bed.installUnits()).trim());
  }, 120_000);

  afterAll(async () => {
    const problems = await bed?.shutdown();
    console.log(`shipped units: ${((performance.now() - started) / 1000).toFixed(1)} s including boot`);
    expect(problems ?? []).toEqual([]);
  }, 60_000);

  beforeEach(async () => {
    await bed.systemctl('reset-failed').catch(() => '');
  });

  describe('1. each mode through its shipped units', () => {
    it('mode 1: the socket listens with no process; the first connection starts the service', async () => {
      const socket = await state(MODE1.socket);
      expect([socket.ActiveState, socket.SubState]).toEqual(['active', 'listening']);
      const before = await state(MODE1.service);
      expect([before.ActiveState, before.MainPID]).toEqual(['inactive', '0']);

      expect(await fetchAnswer(MODE1.port)).toEqual({ data: MODE1.answer });
      const after = await waitUnit(
        MODE1.service,
        'running, 1 connection served',
        (s) => s.SubState === 'running' && s.StatusText!.endsWith('1 connection served'),
      );
      expect(after.ActiveState).toBe('active');
      expect(after.StatusText).toBe('Serving on activated socket; 1 connection served');
      expect(await fetchAnswer(MODE1.port)).toEqual({ data: MODE1.answer });
      expect((await state(MODE1.service)).MainPID).toBe(after.MainPID); // the same process serves on
    });

    it('mode 2 (Accept=yes): one service instance per connection', async () => {
      expect((await state(MODE2.socket)).SubState).toBe('listening');
      expect(await bed.systemctl('list-units', '--all', '--plain', '--no-legend', `${MODE2.template}*`)).toBe('');
      const held = await Promise.all([1, 2, 3].map(() => HeldConnection.open(MODE2.port)));
      try {
        await waitFor('three answers', () => (held.every((c) => c.ended) ? true : undefined));
        for (const c of held) expect(c.data).toBe(MODE2.answer);
        // The instances stay while their clients keep the connection open (for the daemons' linger
        // time, 5 s, after the answer); each is named after its connection.
        const units = (await bed.systemctl('list-units', '--plain', '--no-legend', `${MODE2.template}*`))
          .trim()
          .split('\n')
          .map((l) => l.split(/\s+/)[0]!);
        expect(units).toHaveLength(3);
        for (const c of held) expect(units.some((u) => u.endsWith(`-127.0.0.1:${c.localPort}.service`))).toBe(true);
        expect(Number((await bed.show(MODE2.socket, ['NAccepted'])).NAccepted)).toBeGreaterThanOrEqual(3);
      } finally {
        for (const c of held) c.close();
      }
      await waitFor('instances gone after the clients closed', async () =>
        (await bed.systemctl('list-units', '--plain', '--no-legend', `${MODE2.template}*`)) === '' ? true : undefined,
      );
    });

    it('mode 3 (inetd): the answer on stdin/stdout, stderr to the journal and never to the client', async () => {
      // NODE_DEBUG=net makes node itself write to stderr on every connection.
      await bed.dropIn(`${MODE3.template}.service`, 'test-stderr', '[Service]\nEnvironment=NODE_DEBUG=net\n');
      try {
        const answers = await Promise.all([1, 2].map(() => fetchAnswer(MODE3.port)));
        expect(answers).toEqual([{ data: MODE3.answer }, { data: MODE3.answer }]);
        const journal = await waitFor('node debug output in the journal', async () => {
          const text = await bed.journal(`${MODE3.template}*`);
          return /^NET \d+: /m.test(text) ? text : undefined;
        });
        expect(journal).toMatch(/^NET \d+: /m);
        expect(Number((await bed.show(MODE3.socket, ['NAccepted'])).NAccepted)).toBeGreaterThanOrEqual(2);
      } finally {
        await bed.removeDropIn(`${MODE3.template}.service`, 'test-stderr');
      }
    });
  });

  describe('2. notify and watchdog', () => {
    it("is activating until READY, then active (running) with the daemon's STATUS", async () => {
      await resetMode1();
      // Holds the daemon for 3 s before its main module runs, i.e. before READY=1. (base64: NODE_OPTIONS
      // splits on spaces, and systemd would read a % in the unit as a specifier.)
      const delay = Buffer.from('await new Promise((r) => setTimeout(r, 3000));').toString('base64');
      await bed.dropIn(
        MODE1.service,
        'test-slow-start',
        `[Service]\nEnvironment=NODE_OPTIONS=--import=data:text/javascript;base64,${delay}\n`,
      );
      try {
        const answer = fetchAnswer(MODE1.port);
        const starting = await waitUnit(
          MODE1.service,
          'activating with a main process',
          (s) => s.ActiveState === 'activating' && s.MainPID !== '0',
        );
        expect(starting.SubState).toBe('start');
        expect(await answer).toEqual({ data: MODE1.answer });
        const running = await waitUnit(MODE1.service, 'active', (s) => s.ActiveState === 'active');
        expect(running.SubState).toBe('running');
        expect(running.MainPID).toBe(starting.MainPID);
        expect(running.StatusText).toMatch(/^Serving on activated socket/);
      } finally {
        await bed.removeDropIn(MODE1.service, 'test-slow-start');
      }
    }, 60_000);

    it('survives 3 watchdog intervals; a stopped daemon is killed by the watchdog and a new one serves', async () => {
      await resetMode1();
      await bed.dropIn(MODE1.service, 'test-watchdog', '[Service]\nWatchdogSec=2s\n');
      try {
        expect(await fetchAnswer(MODE1.port)).toEqual({ data: MODE1.answer });
        const first = await waitUnit(MODE1.service, 'running', (s) => s.SubState === 'running');
        expect((await bed.show(MODE1.service, ['WatchdogUSec'])).WatchdogUSec).toBe('2s');
        await sleep(7_000); // > 3 intervals of 2 s: only the daemon's own pings keep it alive
        const later = await state(MODE1.service);
        expect([later.ActiveState, later.MainPID, later.NRestarts]).toEqual(['active', first.MainPID, '0']);

        // SIGSTOP freezes the event loop and with it the pings.
        await bed.exec(['sh', '-c', `kill -STOP ${first.MainPID}`]);
        const journal = await waitFor('the watchdog to fire', async () => {
          const text = await bed.journal(MODE1.service);
          return text.includes('Watchdog timeout') ? text : undefined;
        });
        expect(journal).toMatch(/Watchdog timeout \(limit 2s\)/);
        const restarted = await waitUnit(
          MODE1.service,
          'a new main process',
          (s) => s.ActiveState === 'active' && s.MainPID !== '0' && s.MainPID !== first.MainPID,
        );
        expect(Number(restarted.NRestarts)).toBeGreaterThanOrEqual(1);
        expect(await fetchAnswer(MODE1.port)).toEqual({ data: MODE1.answer });
      } finally {
        await bed.removeDropIn(MODE1.service, 'test-watchdog');
      }
    }, 60_000);
  });

  it('3. loses no connection while restarted repeatedly and once SIGKILLed', async () => {
    await resetMode1();
    expect((await bed.show(MODE1.service, ['Restart'])).Restart).toBe('on-failure');
    const disruptions: { action: string; from: number; to: number }[] = [];
    // Spaced so that no 10 s window holds more than 4 starts (the default start rate limit is 5).
    async function disrupt(): Promise<void> {
      await waitUnit(MODE1.service, 'running', (s) => s.SubState === 'running');
      for (const action of ['restart', 'restart', 'restart', 'kill']) {
        await sleep(3_000);
        const before = (await state(MODE1.service)).MainPID;
        const from = Date.now();
        if (action === 'restart') await bed.systemctl('restart', MODE1.service);
        else await bed.systemctl('kill', '-s', 'KILL', MODE1.service);
        await waitUnit(
          MODE1.service,
          `running again after ${action}`,
          (s) => s.SubState === 'running' && s.MainPID !== before && s.MainPID !== '0',
        );
        disruptions.push({ action, from, to: Date.now() });
      }
    }
    const concurrency = 20;
    const disruption = disrupt();
    const figures = await storm({
      port: MODE1.port,
      expected: MODE1.answer,
      connections: 2000,
      concurrency,
      until: disruption,
      maxConnections: 50_000,
    });
    await disruption;
    const unit = await state(MODE1.service);
    const kill = disruptions.find((d) => d.action === 'kill');
    const duringKill = figures.failures.filter((f) => kill !== undefined && f.to >= kill.from && f.from <= kill.to);
    console.log(
      `zero-loss restarts: ${figures.attempted} connections attempted, ${figures.ok} complete, ` +
        `${figures.refused} refused, ${figures.truncated} truncated (${duringKill.length} by the SIGKILL); ` +
        `disruptions: ${disruptions.map((d) => d.action).join(', ')}; NRestarts=${unit.NRestarts}`,
    );
    expect(disruptions.map((d) => d.action)).toEqual(['restart', 'restart', 'restart', 'kill']);
    expect(figures.refused).toBe(0);
    // Restarts lose nothing. A SIGKILL takes with it what its process had accepted and not yet
    // answered: at most one connection per client, since each client has one open at a time.
    expect(figures.failures.filter((f) => !duringKill.includes(f))).toEqual([]);
    expect(duringKill.length).toBeLessThanOrEqual(concurrency);
    expect(figures.ok).toBe(figures.attempted - duringKill.length);
    expect(figures.attempted).toBeGreaterThanOrEqual(2000);
    expect(unit.NRestarts).toBe('1'); // the SIGKILL; restarts on request are not counted
  }, 180_000);

  it('4. systemctl stop: STOPPING is seen and the connection in flight completes', async () => {
    await resetMode1();
    const held = await HeldConnection.open(MODE1.port);
    try {
      await waitFor('the answer', () => (held.ended ? true : undefined));
      await bed.systemctl('stop', '--no-block', MODE1.service);
      const stopping = await waitUnit(MODE1.service, 'deactivating', (s) => s.ActiveState === 'deactivating');
      expect(stopping.StatusText).toBe('SIGTERM: no longer accepting, finishing 1 open connection');
      await sleep(1_000);
      expect((await state(MODE1.service)).ActiveState).toBe('deactivating'); // waits for our client
      held.close();
      const stopped = await waitUnit(MODE1.service, 'inactive', (s) => s.ActiveState === 'inactive');
      expect(stopped.Result).toBe('success');
      expect(held.data).toBe(MODE1.answer);
      expect(held.error).toBeUndefined();
      expect(await bed.journal(MODE1.service)).toContain('SIGTERM: no longer accepting');
    } finally {
      held.destroy();
    }
  }, 60_000);

  it('5. idle exit: the service stops, the socket still listens, the next connection is served', async () => {
    await resetMode1();
    await bed.dropIn(MODE1.service, 'test-idle', '[Service]\nEnvironment=IDLE_TIMEOUT=1\n');
    try {
      expect(await fetchAnswer(MODE1.port)).toEqual({ data: MODE1.answer });
      await waitUnit(MODE1.service, 'running', (s) => s.SubState === 'running');
      const idle = await waitUnit(MODE1.service, 'inactive after the idle timeout', (s) => s.ActiveState === 'inactive');
      expect([idle.MainPID, idle.Result]).toEqual(['0', 'success']);
      expect((await bed.exec(['pgrep', '-f', 'socket-service/dist/main.js'], { allowFailure: true })).stdout).toBe('');
      expect((await state(MODE1.socket)).SubState).toBe('listening');
      // No process was left: this answer comes from a newly activated one.
      expect(await fetchAnswer(MODE1.port)).toEqual({ data: MODE1.answer });
      expect(await bed.journal(MODE1.service)).toContain('idle: no longer accepting');
    } finally {
      await bed.removeDropIn(MODE1.service, 'test-idle');
    }
  }, 60_000);

  describe('7. hardening', () => {
    it('scores at most 1.5 in systemd-analyze security for every shipped service', async () => {
      const scores: Record<string, number> = {};
      for (const service of SERVICES) {
        const r = await bed.exec(['systemd-analyze', 'security', '--offline=true', `/etc/systemd/system/${service}`], {
          allowFailure: true,
        });
        const match = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.stdout);
        expect(match, r.stdout + r.stderr).not.toBeNull();
        scores[service] = Number(match![1]);
      }
      console.log(
        `systemd-analyze security: ${Object.entries(scores)
          .map(([s, v]) => `${s} ${v}`)
          .join(', ')}`,
      );
      for (const score of Object.values(scores)) expect(score).toBeLessThanOrEqual(1.5);
    });

    it('MemoryDenyWriteExecute=yes kills V8 at its first JIT compilation; with node --jitless it runs', async () => {
      const service = `${MODE2.template}.service`;
      const since = (await bed.exec(['date', '+%Y-%m-%d %H:%M:%S'])).stdout.trim();
      const instances = (): Promise<string> => bed.journal(`${MODE2.template}*`, ['--since', since]);
      await bed.dropIn(service, 'test-mdwe', '[Service]\nMemoryDenyWriteExecute=yes\n');
      try {
        const killed = await fetchAnswer(MODE2.port);
        expect(killed.data).toBe('');
        const journal = await waitFor('the instance to die', async () => {
          const text = await instances();
          return text.includes('Failed with result') ? text : undefined;
        });
        expect(journal).toMatch(/Fatal error/);
        expect(journal).toMatch(/Main process exited, code=killed, status=5\/TRAP/);

        await bed.dropIn(service, 'test-mdwe', '[Service]\nMemoryDenyWriteExecute=yes\nEnvironment=NODE_OPTIONS=--jitless\n');
        expect(await fetchAnswer(MODE2.port)).toEqual({ data: MODE2.answer });
      } finally {
        await bed.removeDropIn(service, 'test-mdwe');
        await bed.systemctl('reset-failed').catch(() => '');
      }
    });
  });
});
