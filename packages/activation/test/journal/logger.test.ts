import { spawnSync } from 'node:child_process';
import { fstatSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, pinoDestination } from '../../src/journal/logger.js';
import { stderrIsJournal } from '../../src/journal/stderr.js';
import { checkFieldName, encodeEntry } from '../../src/journal/fields.js';
import { python, type Receiver, Running, startReceiver, thrown, transpiledLibrary, waitFor } from '../../../../test/support/index.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'sdnode-journal-test-'));
let receiver: Receiver;
let library: string;

beforeAll(async () => {
  receiver = await startReceiver();
  library = transpiledLibrary(['journal/logger']);
});
afterAll(async () => {
  await receiver?.stop();
  rmSync(scratch, { recursive: true, force: true });
  rmSync(library, { recursive: true, force: true });
});

/** `NAME\n` + 64-bit little-endian length + bytes + `\n`: the form for values that are not one plain line. */
function lengthPrefixed(name: string, data: Buffer): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(data.length));
  return Buffer.concat([Buffer.from(`${name}\n`), length, data, Buffer.from('\n')]);
}

describe('the native protocol (exact bytes)', () => {
  it('plain values as NAME=value lines; numbers, bigints and booleans as text; undefined left out', () => {
    const entry = encodeEntry([
      ['MESSAGE', 'hello, 100% ünïcode'],
      ['PRIORITY', 6],
      ['COUNT', 12345678901234567890n],
      ['FLAG', true],
      ['ABSENT', undefined],
    ]);
    expect(entry.toString('utf8')).toBe('MESSAGE=hello, 100% ünïcode\nPRIORITY=6\nCOUNT=12345678901234567890\nFLAG=1\n');
  });

  it('a value with a line break or a NUL, and bytes, length-prefixed', () => {
    const binary = Buffer.from([0, 0x0a, 0xff, 0x3d, 0x0a]);
    const entry = encodeEntry([
      ['MESSAGE', 'two\nlines'],
      ['NUL', 'a\0b'],
      ['BYTES', new Uint8Array(binary)],
      ['AFTER', 'x'],
    ]);
    expect(
      entry.equals(
        Buffer.concat([
          lengthPrefixed('MESSAGE', Buffer.from('two\nlines')),
          lengthPrefixed('NUL', Buffer.from('a\0b')),
          lengthPrefixed('BYTES', binary),
          Buffer.from('AFTER=x\n'),
        ]),
      ),
    ).toBe(true);
  });

  it('refuses values of other types', () => {
    expect(thrown(() => encodeEntry([['X', {} as never]])).message).toMatch(/^X=\[object Object\]: expected a string/);
    expect(thrown(() => encodeEntry([['X', Number.NaN]])).code).toBe('EINVAL');
  });

  it.each(['A', 'CODE_FILE', 'X1_2', 'A'.repeat(64)])('accepts the field name %s', (name) => {
    expect(checkFieldName(name)).toBe(name);
  });

  it.each(['', '_PID', '_', '1ABC', 'lower', 'MiXed', 'WITH-DASH', 'WITH SPACE', 'ÜBER', 'A'.repeat(65)])(
    'refuses the field name %j',
    (name) => {
      const error = thrown(() => checkFieldName(name));
      expect([error.code, error.subject]).toEqual(['EINVAL', 'journal field']);
      expect(error.message).toContain('expected upper-case letters, digits and _, starting with a letter, at most 64 characters');
    },
  );
});

describe('a logger sending to a real datagram receiver', () => {
  it('an entry: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, then the fields, with credentials', async () => {
    const log = createLogger('sdnode-test', { target: 'journal', socket: receiver.address });
    const binary = Buffer.from([1, 2, 0, 0x0a, 0xfe]);
    log.warning('disk at 91%', { CODE_FILE: 'main.ts', CODE_LINE: 12, CODE_FUNC: 'serve', DUMP: binary, TRACE: 'a\nb' });
    expect(log.target).toBe('journal');
    const datagram = await receiver.next();
    expect(datagram.pid).toBe(process.pid);
    expect(datagram.fds).toEqual([]);
    expect(
      datagram.data.equals(
        Buffer.concat([
          Buffer.from('MESSAGE=disk at 91%\nPRIORITY=4\nSYSLOG_IDENTIFIER=sdnode-test\nCODE_FILE=main.ts\nCODE_LINE=12\nCODE_FUNC=serve\n'),
          lengthPrefixed('DUMP', binary),
          lengthPrefixed('TRACE', Buffer.from('a\nb')),
        ]),
      ),
    ).toBe(true);
  });

  it('each level method sends its priority', async () => {
    const log = createLogger('levels', { target: 'journal', socket: receiver.address });
    const calls = [log.error, log.warning, log.notice, log.info, log.debug];
    for (const call of calls) call('x');
    log.log(0, 'x');
    const priorities: string[] = [];
    for (let i = 0; i <= calls.length; i++) priorities.push(/PRIORITY=(\d)/.exec((await receiver.next()).text)![1]!);
    expect(priorities).toEqual(['3', '4', '5', '6', '7', '0']);
  });

  it('an entry over 200 KB: an empty datagram with a sealed memfd holding the whole entry', async () => {
    const log = createLogger('big', { target: 'journal', socket: receiver.address });
    const big = Buffer.alloc(300 * 1024, 'x');
    big[1000] = 0x0a;
    log.info('a large entry', { PAYLOAD: big.toString('latin1') });
    const datagram = await receiver.next();
    expect(datagram.data.length).toBe(0);
    expect(datagram.fds).toHaveLength(1);
    const [memfd] = datagram.fds;
    expect(memfd!.type).toBe('file');
    // F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
    expect(memfd!.seals).toBe(0x1 | 0x2 | 0x4 | 0x8);
    const expected = Buffer.concat([
      Buffer.from('MESSAGE=a large entry\nPRIORITY=6\nSYSLOG_IDENTIFIER=big\n'),
      lengthPrefixed('PAYLOAD', big),
    ]);
    expect(Buffer.from(memfd!.content!, 'base64').equals(expected)).toBe(true);
  });

  it('refuses a bad priority, a field journald would drop, and a field the logger sets', () => {
    const log = createLogger('x', { target: 'journal', socket: receiver.address });
    expect(thrown(() => log.log(8, 'x')).subject).toBe('priority');
    expect(thrown(() => log.log(1.5, 'x')).subject).toBe('priority');
    expect(thrown(() => log.info('x', { _PID: '1' })).subject).toBe('journal field');
    expect(thrown(() => log.info('x', { PRIORITY: 1 })).message).toBe(
      'journal field="PRIORITY": expected a field other than those the logger sets',
    );
  });

  it('refuses an identifier that is empty or has a line break', () => {
    expect(thrown(() => createLogger('')).subject).toBe('identifier');
    expect(thrown(() => createLogger('a\nb')).subject).toBe('identifier');
  });

  it('pinoDestination: real pino, its levels as priorities, msg as MESSAGE', async () => {
    const log = createLogger('pino-app', { target: 'journal', socket: receiver.address });
    const logger = pino({ level: 'trace' }, pinoDestination(log));
    logger.fatal('f');
    logger.error({ user: 'x' }, 'e');
    logger.warn('w');
    logger.info('i');
    logger.debug('d');
    logger.trace('t');
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push((await receiver.next()).text);
    expect(seen).toEqual(
      [
        ['f', 2],
        ['e', 3],
        ['w', 4],
        ['i', 6],
        ['d', 7],
        ['t', 7],
      ].map(([m, p]) => `MESSAGE=${m}\nPRIORITY=${p}\nSYSLOG_IDENTIFIER=pino-app\n`),
    );
  });

  it('pinoDestination: a line that is not JSON is kept as the message', async () => {
    pinoDestination(createLogger('raw', { target: 'journal', socket: receiver.address })).write('not json\n');
    expect((await receiver.next()).text).toBe('MESSAGE=not json\nPRIORITY=6\nSYSLOG_IDENTIFIER=raw\n');
  });
});

describe('where entries go', () => {
  it('stderrIsJournal: JOURNAL_STREAM must name fd 2 (device:inode)', () => {
    const stat = fstatSync(2, { bigint: true });
    expect(stderrIsJournal({ JOURNAL_STREAM: `${stat.dev}:${stat.ino}` })).toBe(true);
    expect(stderrIsJournal({ JOURNAL_STREAM: `${stat.dev}:${stat.ino + 1n}` })).toBe(false);
    expect(stderrIsJournal({})).toBe(false);
  });

  it('auto: the journal socket when stderr is the journal stream, stderr otherwise', async () => {
    const stat = fstatSync(2, { bigint: true });
    const journal = createLogger('auto', { socket: receiver.address, env: { JOURNAL_STREAM: `${stat.dev}:${stat.ino}` } });
    journal.info('to the journal');
    expect(journal.target).toBe('journal');
    expect((await receiver.next()).text).toContain('MESSAGE=to the journal\n');
    const plain = createLogger('auto', { socket: receiver.address, env: {} });
    expect(plain.target).toBe('undecided');
    const r = runChild(`createLogger('auto', { socket: ${JSON.stringify(receiver.address)} }).info('plain');`, {});
    expect(r.stderr).toBe('auto: plain\n');
  });

  /** Runs `body` in a child with the library; its stderr goes to a file (whose dev:ino `journalStream` puts in JOURNAL_STREAM). */
  function runChild(body: string, options: { journalStream?: boolean; timeoutMs?: number }): { status: number | null; stderr: string } {
    const script = path.join(library, `child-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(script, `import { createLogger } from './src/journal/logger.js';\n${body}\n`);
    const errFile = path.join(scratch, `stderr-${Math.random().toString(36).slice(2)}`);
    const errFd = openSync(errFile, 'w');
    const stat = fstatSync(errFd, { bigint: true });
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    if (options.journalStream) env.JOURNAL_STREAM = `${stat.dev}:${stat.ino}`;
    const r = spawnSync(process.execPath, [script], { stdio: ['ignore', 'ignore', errFd], env, timeout: options.timeoutMs ?? 15_000 });
    closeSync(errFd);
    return { status: r.status, stderr: readFileSync(errFile, 'utf8') };
  }

  it('no journal socket: every entry on stderr, one warning; <N> prefixes because stderr is the journal stream', () => {
    const r = runChild(
      `const log = createLogger('fallback', { socket: ${JSON.stringify(path.join(scratch, 'missing.sock'))} });
       log.error('first'); log.info('second\\nline'); console.error(log.target);`,
      { journalStream: true },
    );
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines.filter((l) => l.includes('SDNODE_JOURNAL'))).toHaveLength(1);
    expect(r.stderr).toMatch(
      /fallback: journal entries go to stderr from now on: .*missing\.sock: sendmsg: No such file or directory \(ENOENT\)/,
    );
    expect(lines.filter((l) => l.startsWith('<'))).toEqual(['<3>fallback: first', '<6>fallback: second', '<6>fallback: line']);
    expect(lines).toContain('stderr');
  });

  it('stderr that is not the journal stream gets no prefixes', () => {
    const r = runChild(`const log = createLogger('plain', { target: 'stderr' }); log.error('a'); log.debug('b');`, {
      journalStream: false,
    });
    expect(r.stderr).toBe('plain: a\nplain: b\n');
  });

  it('a receiver that stops reading: no call blocks, order kept, stderr after 2 s, nothing lost', async () => {
    const sock = path.join(scratch, 'stalled.sock');
    // Binds and never reads: its queue (net.unix.max_dgram_qlen) fills.
    const stalled = new Running(
      python,
      [
        '-c',
        `import socket,sys,time\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("ready",flush=True)\ntime.sleep(60)`,
        sock,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await waitFor('the stalled receiver to bind', () => stalled.stdout !== '');
      const r = runChild(
        `const log = createLogger('stalled', { target: 'journal', socket: ${JSON.stringify(sock)} });
         for (let i = 1; i <= 100; i++) log.info('entry ' + i);
         console.error('logged 100');
         setTimeout(() => {}, 3000);`,
        { journalStream: false },
      );
      expect(r.status).toBe(0);
      const lines = r.stderr.split('\n');
      // All 100 calls returned at once, before anything could go to stderr.
      expect(lines[0]).toBe('logged 100');
      expect(r.stderr).toMatch(/journald has read nothing for 2000 ms/);
      const onStderr = lines.filter((l) => l.startsWith('stalled: entry ')).map((l) => Number(l.slice('stalled: entry '.length)));
      // What the receiver queued is in its queue; the rest is on stderr, in order, none missing.
      expect(onStderr.length).toBeGreaterThan(0);
      const first = onStderr[0]!;
      expect(onStderr).toEqual(Array.from({ length: 101 - first }, (_, i) => first + i));
    } finally {
      stalled.signal('SIGKILL');
    }
  });

  it('entries still waiting when the process exits go to stderr', () => {
    const sock = path.join(scratch, 'stalled2.sock');
    const stalled = spawnSync(
      python,
      [
        '-c',
        `import socket,sys,subprocess,os
s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)
s.bind(sys.argv[1])
r=subprocess.run(sys.argv[2:],stderr=subprocess.PIPE)
sys.stdout.write(r.stderr.decode())`,
        sock,
        process.execPath,
        '--input-type=module',
        '-e',
        `const { createLogger } = await import(${JSON.stringify(path.join(library, 'src/journal/logger.js'))});
       const log = createLogger('exiting', { target: 'journal', socket: ${JSON.stringify(sock)} });
       for (let i = 1; i <= 50; i++) log.info('entry ' + i);`,
      ],
      { encoding: 'utf8', timeout: 15_000 },
    );
    const numbers = stalled.stdout
      .split('\n')
      .filter((l) => l.startsWith('exiting: entry '))
      .map((l) => Number(l.slice('exiting: entry '.length)));
    expect(numbers.length).toBeGreaterThan(0);
    expect(numbers.at(-1)).toBe(50);
    expect(stalled.stdout).toMatch(/the process exits with entries journald has not taken/);
  });
});
