// Reload, journal logging and credentials under a real systemd manager: `systemctl reload` of the
// shipped socket-service, the daemons' entries read back from journald with `journalctl -o json`,
// the native protocol's edge cases (bytes, line breaks, an entry too large for a datagram) through
// the real journald, and LoadCredential=/SetCredential= on a DynamicUser= service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAnswer, waitFor } from '../support/index.js';
import { Bed, REPO_IN_BED, skipReason } from './harness.js';

const reason = skipReason();
if (reason) console.log(`skipped: ${reason}`);
const suite = reason ? describe.skip : describe;

const SERVICE = 'socket-service.service';
const PORT = 7001;
const CONFIG = '/etc/socket-service.conf';
const LIBRARY = `${REPO_IN_BED}/packages/activation/dist/index.js`;
const JOURNAL = `${REPO_IN_BED}/packages/activation/dist/journal.js`;

type JournalEntry = Record<string, string | number[] | null>;

suite('reload, journal and credentials under a real systemd manager', () => {
  let bed: Bed;

  /** Every journal entry matching `matches` (journalctl arguments), parsed; fields of any size. */
  async function entries(matches: string[]): Promise<JournalEntry[]> {
    await bed.exec(['journalctl', '--sync']);
    const r = await bed.exec(['journalctl', '--no-pager', '--all', '-o', 'json', ...matches], { allowFailure: true });
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as JournalEntry);
  }

  /** Runs a Node ES module as a transient DynamicUser= service; its stdout. */
  async function runTransient(properties: string[], script: string): Promise<string> {
    const r = await bed.exec(
      [
        'systemd-run',
        '--quiet',
        '--wait',
        '--pipe',
        '--collect',
        '-p',
        'DynamicUser=yes',
        ...properties.flatMap((p) => ['-p', p]),
        '/usr/bin/node',
        '--input-type=module',
        '-e',
        script,
      ],
      { allowFailure: true },
    );
    if (r.code !== 0) {
      const tail = await bed.exec(['journalctl', '--no-pager', '-n', '15', '-o', 'short-monotonic'], { allowFailure: true });
      throw new Error(`systemd-run → ${r.code}\n${r.stderr}${r.stdout}\n--- journal ---\n${tail.stdout}`);
    }
    return r.stdout;
  }

  beforeAll(async () => {
    bed = await Bed.boot({
      ports: [PORT, 7002, 7003],
      needs: ['packages/activation/dist/index.js', 'scripts/install-units.sh', 'packages/socket-service/dist/main.js'],
    });
    console.log((await bed.installUnits()).trim());
  }, 120_000);

  afterAll(async () => {
    const problems = await bed?.shutdown();
    expect(problems ?? []).toEqual([]);
  }, 60_000);

  describe('systemctl reload socket-service.service', () => {
    const show = () => bed.show(SERVICE, ['ActiveState', 'SubState', 'MainPID', 'StatusText']);

    it('re-reads the configuration in the same process; a configuration that cannot be read keeps the old one', async () => {
      await bed.writeFile(CONFIG, 'ANSWER=first answer\n');
      await bed.dropIn(SERVICE, 'test-config', `[Service]\nEnvironment=SOCKET_SERVICE_CONFIG=${CONFIG}\n`);
      try {
        await bed.systemctl('stop', SERVICE);
        expect(await fetchAnswer(PORT)).toEqual({ data: 'first answer\n' });
        const before = await waitFor('running', async () => {
          const s = await show();
          return s.SubState === 'running' ? s : undefined;
        });

        await bed.writeFile(CONFIG, '# a comment, as in an EnvironmentFile=\nANSWER="second answer"\n');
        // Returns only once the service has said READY=1 again; a failure would throw here.
        await bed.systemctl('reload', SERVICE);
        const reloaded = await show();
        expect(reloaded).toEqual({
          ...before,
          StatusText: 'Serving on activated socket; configuration reloaded, answering "second answer"',
        });
        expect(await fetchAnswer(PORT)).toEqual({ data: 'second answer\n' });

        await bed.exec(['rm', CONFIG]);
        await bed.systemctl('reload', SERVICE);
        const refused = await show();
        expect([refused.ActiveState, refused.SubState, refused.MainPID]).toEqual(['active', 'running', before.MainPID]);
        expect(refused.StatusText).toBe(
          `Reload failed, still on the previous configuration: ENOENT: no such file or directory, open '${CONFIG}'`,
        );
        expect(await fetchAnswer(PORT)).toEqual({ data: 'second answer\n' });
        const logged = await entries(['-u', SERVICE, 'PRIORITY=3']);
        expect(logged.map((e) => e.MESSAGE)).toContain(
          `reload failed, answering "second answer" still: ENOENT: no such file or directory, open '${CONFIG}'`,
        );
        expect((await show()).MainPID).toBe(before.MainPID);
      } finally {
        await bed.removeDropIn(SERVICE, 'test-config');
        await bed.systemctl('stop', SERVICE);
      }
    }, 60_000);
  });

  describe('journal', () => {
    it('socket-service logs native entries: _TRANSPORT=journal, SYSLOG_IDENTIFIER, PRIORITY', async () => {
      expect(await fetchAnswer(PORT)).toEqual({ data: 'This is a test\n' });
      const serving = await waitFor('the serving entry', async () => {
        const found = (await entries(['-u', SERVICE, 'SYSLOG_IDENTIFIER=socket-service'])).filter(
          (e) => e.MESSAGE === 'serving on activated socket',
        );
        return found.length > 0 ? found.at(-1) : undefined;
      });
      expect(serving).toMatchObject({ _TRANSPORT: 'journal', PRIORITY: '6', SYSLOG_IDENTIFIER: 'socket-service', _SYSTEMD_UNIT: SERVICE });
      await bed.systemctl('stop', SERVICE);
      const stopping = (await entries(['-u', SERVICE, '_TRANSPORT=journal'])).filter((e) =>
        String(e.MESSAGE).startsWith('SIGTERM: no longer accepting'),
      );
      expect(stopping.at(-1)).toMatchObject({ PRIORITY: '5', SYSLOG_IDENTIFIER: 'socket-service' });
    }, 60_000);

    // Modes 2 and 3 log only when they cannot serve: started with no connection, each says so
    // in one native entry, under its own name and at error priority, and exits 1.
    for (const [name, said] of [
      ['socket-service-accepted', 'no accepted connection'],
      ['socket-service-inet', 'expected a connected stream socket'],
    ] as const) {
      it(`${name} logs native entries with its own identifier`, async () => {
        const run = await bed.exec(
          [
            'systemd-run',
            '--quiet',
            '--wait',
            '--collect',
            '-p',
            'DynamicUser=yes',
            '/usr/bin/node',
            `${REPO_IN_BED}/packages/${name}/dist/main.js`,
          ],
          { allowFailure: true },
        );
        expect(run.code).not.toBe(0);
        const found = await waitFor(`an entry of ${name}`, async () => {
          const list = await entries([`SYSLOG_IDENTIFIER=${name}`]);
          return list.length > 0 ? list : undefined;
        });
        expect(found.at(-1)).toMatchObject({ _TRANSPORT: 'journal', SYSLOG_IDENTIFIER: name, PRIORITY: '3' });
        expect(String(found.at(-1)!.MESSAGE)).toContain(said);
      });
    }

    it('journald takes what the protocol allows: fields, bytes, line breaks and a 300 KB entry through a memfd', async () => {
      const big = 'y'.repeat(300 * 1024);
      const target = await runTransient(
        // The service's sandbox as shipped: memfd_create and fcntl must pass its system call filter.
        [
          'SystemCallFilter=@system-service',
          'SystemCallFilter=~@privileged @resources',
          'SystemCallErrorNumber=EPERM',
          'RestrictAddressFamilies=AF_UNIX',
          'PrivateNetwork=yes',
        ],
        `import { createLogger } from ${JSON.stringify(JOURNAL)};
         const log = createLogger('sdnode-wire', { target: 'journal' });
         log.warning('two\\nlines', { CODE_FILE: 'wire.mjs', CODE_LINE: 3, BYTES: new Uint8Array([0, 1, 255, 10]), TEST_RUN: 'wire' });
         log.info('big', { PAYLOAD: 'y'.repeat(${big.length}), TEST_RUN: 'wire' });
         console.log(log.target);`,
      );
      expect(target.trim()).toBe('journal'); // no fallback to stderr on the way
      const found = await entries(['SYSLOG_IDENTIFIER=sdnode-wire', 'TEST_RUN=wire']);
      expect(found).toHaveLength(2);
      const [small, large] = found;
      expect(small).toMatchObject({
        _TRANSPORT: 'journal',
        PRIORITY: '4',
        MESSAGE: 'two\nlines',
        CODE_FILE: 'wire.mjs',
        CODE_LINE: '3',
        // journalctl shows a value that is not text as its bytes
        BYTES: [0, 1, 255, 10],
      });
      expect(large).toMatchObject({ _TRANSPORT: 'journal', PRIORITY: '6', MESSAGE: 'big' });
      expect(large!.PAYLOAD).toBe(big);
    }, 60_000);
  });

  describe('credentials on a DynamicUser= service', () => {
    it('reads LoadCredential= and SetCredential= credentials, text and bytes, and lists them', async () => {
      await bed.writeFile('/etc/sdnode-test-token', 'secret-token\n');
      await bed.exec(['sh', '-c', "printf '\\000\\001\\377' > /etc/sdnode-test-key && chmod 600 /etc/sdnode-test-*"]);
      try {
        const out = await runTransient(
          ['LoadCredential=token:/etc/sdnode-test-token', 'LoadCredential=key:/etc/sdnode-test-key', 'SetCredential=greeting:hello there'],
          `import { credential, credentials } from ${JSON.stringify(LIBRARY)};
           const missing = (() => { try { credential('nope'); } catch (e) { return e.code + ' ' + e.message; } })();
           const traversal = (() => { try { credential('../token'); } catch (e) { return e.code; } })();
           console.log(JSON.stringify({
             names: credentials(),
             token: credential('token'),
             key: [...credential('key', { encoding: null })],
             greeting: credential('greeting'),
             uid: process.getuid(),
             missing: missing.replace(process.env.CREDENTIALS_DIRECTORY, 'DIR'),
             traversal,
           }));`,
        );
        const result = JSON.parse(out) as Record<string, unknown>;
        expect(result).toMatchObject({
          names: ['greeting', 'key', 'token'],
          token: 'secret-token\n',
          key: [0, 1, 255],
          greeting: 'hello there',
          missing: 'ENOENT no credential "nope" in CREDENTIALS_DIRECTORY=DIR (present: "greeting", "key", "token")',
          traversal: 'EINVAL',
        });
        // A dynamic user, not root: the root-only files reached it as credentials only.
        expect(result.uid).not.toBe(0);
      } finally {
        await bed.exec(['rm', '-f', '/etc/sdnode-test-token', '/etc/sdnode-test-key']);
      }
    }, 60_000);

    it('a service without credentials gets ENXIO naming the unit settings', async () => {
      const out = await runTransient(
        [],
        `import { credentials } from ${JSON.stringify(LIBRARY)};
         try { credentials(); console.log('no error'); } catch (e) { console.log(e.code + ' ' + e.message); }`,
      );
      expect(out.trim()).toMatch(/^ENXIO CREDENTIALS_DIRECTORY is not set: .*LoadCredential=/);
    }, 60_000);
  });
});
