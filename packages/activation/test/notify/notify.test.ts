import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SystemdError } from '../../src/errors.js';
import { notify } from '../../src/notify/notify.js';
import {
  cleanEnv,
  missingTools,
  libraryEntry,
  type Receiver,
  Running,
  startReceiver,
  thrown,
  transpiledLibrary,
} from '../../../../test/support/index.js';

// Every test here talks to a real datagram receiver, a python3 program: without python3 they skip, naming it.
const noPython = missingTools('python3');

describe.skipIf(noPython)(`notify${noPython && ` (skipped: ${noPython})`}`, () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'sdnode-notify-test-'));
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    delete process.env.NOTIFY_SOCKET;
    await receiver?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });
  afterEach(() => {
    process.env.NOTIFY_SOCKET = receiver.address;
  });

  async function received(): Promise<string> {
    const datagram = await receiver.next();
    expect(datagram.pid).toBe(process.pid);
    expect(datagram.fds).toEqual([]);
    return datagram.data.toString('latin1');
  }

  function listeningServer(): Promise<net.Server> {
    const server = net.createServer();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
  }

  function openFds(): string[] {
    return readdirSync('/proc/self/fd').sort();
  }

  /** The SDNODE_NOTIFY warnings this process emits until `until` resolves (plus one turn of the loop). */
  async function notifyWarnings(until: () => unknown): Promise<string[]> {
    const seen: string[] = [];
    const listener = (warning: Error & { code?: string }): void => {
      if (warning.code === 'SDNODE_NOTIFY') seen.push(warning.message);
    };
    process.on('warning', listener);
    try {
      await until();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    return seen;
  }

  /** Resolves with the first SDNODE_NOTIFY warning matching `pattern`, or rejects after timeoutMs. */
  function nextWarning(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        process.off('warning', listener);
        reject(new Error(`no warning matching ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      function listener(warning: Error & { code?: string }): void {
        if (warning.code !== 'SDNODE_NOTIFY' || !pattern.test(warning.message)) return;
        clearTimeout(timer);
        process.off('warning', listener);
        resolve(warning.message);
      }
      process.on('warning', listener);
    });
  }

  /** Datagram texts up to and including `last`. */
  async function textsUntil(from: Receiver, last: string): Promise<string[]> {
    const texts: string[] = [];
    for (let i = 0; i < 2000; i++) {
      texts.push((await from.next()).text);
      if (texts.at(-1) === last) return texts;
    }
    throw new Error(`${JSON.stringify(last)} never arrived`);
  }

  describe('messages (exact bytes)', () => {
    beforeAll(() => {
      process.env.NOTIFY_SOCKET = receiver.address;
    });

    it('ready, status, stopping', async () => {
      expect(notify.ready()).toBe(true);
      expect(await received()).toBe('READY=1\n');
      expect(notify.ready('serving on :80')).toBe(true);
      expect(await received()).toBe('READY=1\nSTATUS=serving on :80\n');
      expect(notify.status('50% done, ünïcode')).toBe(true);
      expect(await receiver.next().then((d) => d.data.toString('utf8'))).toBe('STATUS=50% done, ünïcode\n');
      expect(notify.stopping()).toBe(true);
      expect(await received()).toBe('STOPPING=1\n');
      expect(notify.stopping('draining')).toBe(true);
      expect(await received()).toBe('STOPPING=1\nSTATUS=draining\n');
    });

    it('reloading sends MONOTONIC_USEC from CLOCK_MONOTONIC', async () => {
      const before = process.hrtime.bigint() / 1000n;
      expect(notify.reloading()).toBe(true);
      const after = process.hrtime.bigint() / 1000n;
      const match = /^RELOADING=1\nMONOTONIC_USEC=(\d+)\n$/.exec(await received());
      expect(match).not.toBeNull();
      const usec = BigInt(match![1]!);
      expect(usec >= before && usec <= after).toBe(true);
    });

    it('errno, mainPid, watchdog, trigger, setWatchdogTimeout, extendTimeout (ms or µs)', async () => {
      notify.errno(5);
      expect(await received()).toBe('ERRNO=5\n');
      notify.mainPid(4242);
      expect(await received()).toBe('MAINPID=4242\n');
      notify.watchdog();
      expect(await received()).toBe('WATCHDOG=1\n');
      notify.watchdogTrigger();
      expect(await received()).toBe('WATCHDOG=trigger\n');
      notify.setWatchdogTimeout(18_446_744_073_709_551_614n);
      expect(await received()).toBe('WATCHDOG_USEC=18446744073709551614\n');
      notify.setWatchdogTimeout(1500);
      expect(await received()).toBe('WATCHDOG_USEC=1500000\n');
      notify.extendTimeout(30_000_000n);
      expect(await received()).toBe('EXTEND_TIMEOUT_USEC=30000000\n');
      notify.extendTimeout(0.5);
      expect(await received()).toBe('EXTEND_TIMEOUT_USEC=500\n');
    });

    it('raw send: strings, integers, bigints, booleans in order', async () => {
      expect(notify.send({ NOTIFYACCESS: 'all', EXIT_STATUS: 3, BIG: 2n ** 63n, ON: true, OFF: false, EMPTY: '' })).toBe(true);
      expect(await received()).toBe('NOTIFYACCESS=all\nEXIT_STATUS=3\nBIG=9223372036854775808\nON=1\nOFF=0\nEMPTY=\n');
    });

    it('the sender credentials are this process', async () => {
      notify.status('who');
      const datagram = await receiver.next();
      expect({ pid: datagram.pid, uid: datagram.uid, gid: datagram.gid }).toEqual({
        pid: process.pid,
        uid: process.getuid!(),
        gid: process.getgid!(),
      });
    });

    it('fdStore passes the fds themselves, with FDNAME and FDPOLL', async () => {
      const server = await listeningServer();
      const other = await listeningServer();
      try {
        const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
        const fd2 = (other as unknown as { _handle: { fd: number } })._handle.fd;
        expect(notify.fdStore([fd])).toBe(true);
        let datagram = await receiver.next();
        expect(datagram.data.toString()).toBe('FDSTORE=1\n');
        expect(datagram.fds).toEqual([
          {
            type: 'socket',
            family: 'AF_INET',
            sotype: 'SOCK_STREAM',
            address: '127.0.0.1',
            port: (server.address() as net.AddressInfo).port,
            listening: true,
          },
        ]);

        expect(notify.fdStore([fd, fd2], { name: 'web', poll: false })).toBe(true);
        datagram = await receiver.next();
        expect(datagram.data.toString()).toBe('FDSTORE=1\nFDNAME=web\nFDPOLL=0\n');
        expect(datagram.fds.map((f) => f.port)).toEqual([
          (server.address() as net.AddressInfo).port,
          (other.address() as net.AddressInfo).port,
        ]);

        expect(notify.fdStore([fd], { name: 'web', poll: true })).toBe(true);
        expect((await receiver.next()).data.toString()).toBe('FDSTORE=1\nFDNAME=web\n');
      } finally {
        server.close();
        other.close();
      }
    });

    it('fdStoreRemove', async () => {
      expect(notify.fdStoreRemove('web')).toBe(true);
      expect(await received()).toBe('FDSTOREREMOVE=1\nFDNAME=web\n');
    });

    it('an abstract NOTIFY_SOCKET', async () => {
      const abstract = await startReceiver({ abstract: true });
      try {
        expect(abstract.address.startsWith('@')).toBe(true);
        expect(notify.send({ READY: 1 }, { env: { NOTIFY_SOCKET: abstract.address } })).toBe(true);
        const datagram = await abstract.next();
        expect(datagram.data.toString()).toBe('READY=1\n');
        expect(datagram.pid).toBe(process.pid);
      } finally {
        await abstract.stop();
      }
    });
  });

  describe('NOTIFY_SOCKET unset or removed', () => {
    it('returns false when unset, for every helper', async () => {
      delete process.env.NOTIFY_SOCKET;
      expect(notify.ready()).toBe(false);
      expect(notify.status('x')).toBe(false);
      expect(notify.watchdog()).toBe(false);
      expect(notify.send({ X: 1 }, { env: {} })).toBe(false);
      expect(await notify.barrier()).toBe(false);
    });

    it('unsetEnvironment removes it after sending, and on errors too', async () => {
      const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: receiver.address };
      expect(notify.send({ READY: 1 }, { env, unsetEnvironment: true })).toBe(true);
      expect(env.NOTIFY_SOCKET).toBeUndefined();
      expect(await received()).toBe('READY=1\n');
      expect(notify.send({ READY: 1 }, { env, unsetEnvironment: true })).toBe(false);

      const bad: NodeJS.ProcessEnv = { NOTIFY_SOCKET: receiver.address };
      expect(() => notify.send({ STATUS: 'a\nb' }, { env: bad, unsetEnvironment: true })).toThrow(SystemdError);
      expect(bad.NOTIFY_SOCKET).toBeUndefined();
    });

    it('bad arguments throw at once even when NOTIFY_SOCKET is unset, so that they show in development', () => {
      delete process.env.NOTIFY_SOCKET;
      expect(thrown(() => notify.status('ok\nREADY=1')).subject).toBe('STATUS');
      expect(thrown(() => notify.status('x'.repeat(5000))).code).toBe('EMSGSIZE');
      expect(thrown(() => notify.send({ 'bad-key': 1 })).subject).toBe('notification key');
      expect(thrown(() => notify.send({ X: 1 }, { fds: [-1] })).subject).toBe('fds');
      const fd = openSync(path.join(scratch, 'closed-before'), 'w');
      closeSync(fd);
      expect(thrown(() => notify.fdStore([fd])).code).toBe('EBADF');
      expect(thrown(() => notify.extendTimeout(-1)).subject).toBe('timeout');
    });
  });

  describe('errors', () => {
    const send = (socket: string) => () => notify.send({ READY: 1 }, { env: { NOTIFY_SOCKET: socket } });

    it('NOTIFY_SOCKET not absolute, empty, or too long: false and one warning naming it, never a throw', async () => {
      for (const value of ['relative/notify', '', '@', 'x', `/${'a'.repeat(108)}`]) {
        const warnings = await notifyWarnings(() => {
          expect(send(value)()).toBe(false);
          expect(send(value)()).toBe(false);
        });
        expect(warnings).toEqual([expect.stringContaining(`NOTIFY_SOCKET=${JSON.stringify(value)}: expected `)]);
      }
    });

    it('no such path (ENOENT), not a socket (ECONNREFUSED), a stream socket (EPROTOTYPE): false, one warning each', async () => {
      const missing = path.join(scratch, 'missing.sock');
      const file = path.join(scratch, 'regular');
      closeSync(openSync(file, 'w'));
      const streamPath = path.join(scratch, 'stream.sock');
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(streamPath, resolve));
      try {
        for (const [socket, code] of [
          [missing, 'ENOENT'],
          [file, 'ECONNREFUSED'],
          [streamPath, 'EPROTOTYPE'],
        ] as const) {
          const warnings = await notifyWarnings(() => {
            for (let i = 0; i < 3; i++) expect(send(socket)()).toBe(false);
          });
          expect(warnings).toHaveLength(1);
          expect(warnings[0]).toContain(`NOTIFY_SOCKET=${JSON.stringify(socket)}`);
          expect(warnings[0]).toContain(code);
        }
      } finally {
        server.close();
      }
    });

    it('values with newline, carriage return or NUL cannot inject fields', () => {
      for (const text of ['ok\nREADY=1', 'ok\rREADY=1', 'ok\0']) {
        const error = thrown(() => notify.status(text));
        expect(error.code).toBe('EINVAL');
        expect(error.subject).toBe('STATUS');
        expect(error.message).toMatch(/newline, carriage return or NUL/);
      }
      expect(thrown(() => notify.send({ FDNAME: 'a\nb' })).subject).toBe('FDNAME');
    });

    it('messages over 4096 bytes name the largest field', async () => {
      expect(notify.send({ READY: 1, STATUS: 'x'.repeat(4096 - 'READY=1\nSTATUS=\n'.length) })).toBe(true);
      expect((await received()).length).toBe(4096);
      const error = thrown(() => notify.send({ READY: 1, STATUS: 'x'.repeat(4097 - 'READY=1\nSTATUS=\n'.length) }));
      expect(error.code).toBe('EMSGSIZE');
      expect(error.subject).toBe('STATUS');
      expect(error.message).toMatch(/4097 bytes.*4096.*STATUS/);
    });

    it('bad keys, non-integer numbers, bad fds, bad arguments', () => {
      for (const key of ['ready', '1A', 'A-B', '', 'A=B']) {
        const error = thrown(() => notify.send({ [key]: 1 }));
        expect(error.subject).toBe('notification key');
        expect(error.value).toBe(key);
      }
      expect(thrown(() => notify.send({})).code).toBe('EINVAL');
      expect(thrown(() => notify.send({ X: 1.5 })).subject).toBe('X');
      expect(thrown(() => notify.send({ X: Number.NaN })).subject).toBe('X');
      expect(thrown(() => notify.send({ X: 1 }, { fds: [-1] })).subject).toBe('fds');
      expect(thrown(() => notify.send({ X: 1 }, { fds: new Array<number>(254).fill(0) })).subject).toBe('fds');
      expect(thrown(() => notify.fdStore([])).subject).toBe('fds');
      expect(thrown(() => notify.fdStore([0], { name: 'a:b' })).subject).toBe('name');
      expect(thrown(() => notify.fdStoreRemove('x'.repeat(256))).subject).toBe('name');
      expect(thrown(() => notify.errno(-1)).subject).toBe('errno');
      expect(thrown(() => notify.mainPid(0)).subject).toBe('pid');
      for (const bad of [0n, 0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2n ** 64n - 1n, '5' as unknown as number]) {
        expect(thrown(() => notify.setWatchdogTimeout(bad)).subject).toBe('timeout');
        expect(thrown(() => notify.extendTimeout(bad)).subject).toBe('timeout');
      }
    });

    it('a closed fd in fds → EBADF naming fds', () => {
      const fd = openSync(path.join(scratch, 'regular2'), 'w');
      closeSync(fd);
      const error = thrown(() => notify.send({ FDSTORE: 1 }, { fds: [fd] }));
      expect(error.code).toBe('EBADF');
      expect(error.subject).toBe('fds');
      expect(error.message).toContain(`fd ${fd}`);
    });
  });

  describe('a receiver that does not read (its queue full)', () => {
    it('never blocks: later messages wait in order, STATUS alone coalesces (latest wins), all arrive once it reads', async () => {
      const stalled = await startReceiver({ args: ['--stalled'] });
      try {
        const env = { NOTIFY_SOCKET: stalled.address };
        expect(notify.send({ READY: 1 }, { env })).toBe(true);
        // A blocking send would hang here once the receiver's queue (net.unix.max_dgram_qlen) is full.
        for (let i = 0; i < 1000; i++) expect(notify.send({ STATUS: `status ${i}` }, { env })).toBe(true);
        expect(notify.send({ STOPPING: 1, STATUS: 'stopping' }, { env })).toBe(true);
        expect(notify.send({ STATUS: 'last' }, { env })).toBe(true);
        stalled.resume();
        const texts = await textsUntil(stalled, 'STATUS=last\n');
        expect(texts[0]).toBe('READY=1\n');
        // The statuses the kernel had queued, in order, then what waited in the process: no status
        // that a later one replaced, STOPPING in its place.
        const statuses = texts.slice(1, -2);
        expect(statuses.length).toBeGreaterThan(0);
        expect(statuses.length).toBeLessThan(100);
        expect(statuses).toEqual(statuses.map((_, i) => `STATUS=status ${i}\n`));
        expect(texts.slice(-2)).toEqual(['STOPPING=1\nSTATUS=stopping\n', 'STATUS=last\n']);
        expect(notify.send({ STATUS: 'after' }, { env })).toBe(true);
        expect((await stalled.next()).text).toBe('STATUS=after\n');
      } finally {
        await stalled.stop();
      }
    });

    it('a queued message keeps its fds valid after the caller closed them, and closes its copies once sent', async () => {
      const stalled = await startReceiver({ args: ['--stalled'] });
      const server = await listeningServer();
      try {
        const env = { NOTIFY_SOCKET: stalled.address };
        for (let i = 0; i < 20; i++) notify.send({ STATUS: `filler ${i}` }, { env });
        const before = openFds();
        const fd = openSync(path.join(scratch, 'stored'), 'w');
        expect(notify.send({ FDSTORE: 1, FDNAME: 'kept' }, { env, fds: [fd] })).toBe(true);
        closeSync(fd);
        stalled.resume();
        let datagram = await stalled.next();
        while (!datagram.text.startsWith('FDSTORE=1')) datagram = await stalled.next();
        expect(datagram.text).toBe('FDSTORE=1\nFDNAME=kept\n');
        expect(datagram.fds).toEqual([{ type: 'file' }]);
        expect(openFds()).toEqual(before);
      } finally {
        server.close();
        await stalled.stop();
      }
    });

    it('the queue is bounded: past it, false and one warning', async () => {
      const stalled = await startReceiver({ args: ['--stalled'] });
      try {
        const env = { NOTIFY_SOCKET: stalled.address };
        const results: boolean[] = [];
        const warnings = await notifyWarnings(() => {
          for (let i = 0; i < 200; i++) results.push(notify.send({ WATCHDOG: 1 }, { env }));
        });
        expect(results.slice(0, 64)).not.toContain(false);
        expect(results.at(-1)).toBe(false);
        expect(warnings).toEqual([expect.stringMatching(/not reading and 64 notifications wait already/)]);
      } finally {
        await stalled.stop();
      }
    });

    it('a process that exits with messages queued tries once more and names on stderr what stayed undelivered', async () => {
      const stalled = await startReceiver({ args: ['--stalled'] });
      try {
        const library = JSON.stringify(libraryEntry);
        const script = `import { notify } from ${library};\nfor (let i = 0; i < 16; i++) notify.send({ X: i });`;
        const child = new Running(process.execPath, ['--input-type=module', '-e', script], {
          env: cleanEnv({ NOTIFY_SOCKET: stalled.address }),
        });
        expect(await child.waitForExit()).toEqual({ code: 0, signal: null });
        const lost = /(\d+) queued notification\(s\) not delivered at exit \(sendmsg: EAGAIN: [^)]*\): ((?:X, )*X)\n/.exec(child.stderr);
        expect(lost, child.stderr).not.toBeNull();
        const count = Number(lost?.[1]);
        expect(lost?.[2]?.split(', ')).toHaveLength(count);
        // What the kernel took arrives once the receiver reads: every message is either there or named.
        stalled.resume();
        const received: string[] = [];
        for (let i = 0; i < 16 - count; i++) received.push((await stalled.next()).text);
        expect(received).toEqual(received.map((_, i) => `X=${i}\n`));
      } finally {
        await stalled.stop();
      }
    });

    it('a receiver that vanishes with messages queued: one warning, the queue dropped with its fds, false from then on', async () => {
      const before = openFds(); // before the receiver's pipes too: they close with it
      const stalled = await startReceiver({ args: ['--stalled'] });
      const env = { NOTIFY_SOCKET: stalled.address };
      for (let i = 0; i < 20; i++) notify.send({ READY: 1 }, { env });
      const [readFd, writeFd] = [openSync(path.join(scratch, 'a'), 'w'), openSync(path.join(scratch, 'b'), 'w')];
      expect(notify.send({ FDSTORE: 1 }, { env, fds: [readFd, writeFd] })).toBe(true);
      closeSync(readFd);
      closeSync(writeFd);
      const dropped = nextWarning(/queued notification\(s\) dropped/);
      await stalled.stop(); // kills it and removes its socket
      expect(await dropped).toMatch(new RegExp(`NOTIFY_SOCKET=${JSON.stringify(stalled.address)}.*(ENOENT|ECONNREFUSED)`));
      expect(openFds()).toEqual(before);
      expect(notify.send({ READY: 1 }, { env })).toBe(false);
    });
  });

  describe('barrier', () => {
    it('resolves once the receiver closed its copy of the pipe, and leaks no fd', async () => {
      const before = openFds();
      await expect(notify.barrier()).resolves.toBe(true);
      const datagram = await receiver.next();
      expect(datagram.data.toString()).toBe('BARRIER=1\n');
      expect(datagram.fds).toEqual([{ type: 'fifo' }]);
      expect(openFds()).toEqual(before);
    });

    it('waits for a receiver that closes later', async () => {
      const slow = await startReceiver({ args: ['--barrier', 'delay:300'] });
      try {
        process.env.NOTIFY_SOCKET = slow.address;
        // The longest timeout a Node timer keeps: taken, and really waited on.
        const done = notify.barrier({ timeoutMs: 2 ** 31 - 1 });
        const datagram = await slow.next();
        expect(datagram.data.toString()).toBe('BARRIER=1\n');
        await expect(done).resolves.toBe(true);
      } finally {
        await slow.stop();
      }
    });

    it('rejects with ETIMEDOUT when the receiver never closes, and leaks no fd', async () => {
      const stuck = await startReceiver({ args: ['--barrier', 'hold'] });
      try {
        process.env.NOTIFY_SOCKET = stuck.address;
        const before = openFds();
        const error = await notify.barrier({ timeoutMs: 200 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(SystemdError);
        expect((error as SystemdError).code).toBe('ETIMEDOUT');
        expect((error as SystemdError).message).toMatch(/200 ms/);
        expect((await stuck.next()).data.toString()).toBe('BARRIER=1\n');
        expect(openFds()).toEqual(before);
      } finally {
        await stuck.stop();
      }
    });

    it('no receiver: false (with a warning), both pipe ends closed', async () => {
      process.env.NOTIFY_SOCKET = path.join(scratch, 'nobody.sock');
      const before = openFds();
      const warnings = await notifyWarnings(async () => expect(await notify.barrier()).toBe(false));
      expect(warnings).toEqual([expect.stringContaining('ENOENT')]);
      expect(openFds()).toEqual(before);
    });

    it('a receiver whose queue is full gets the barrier later; still bounded by the timeout', async () => {
      const stalled = await startReceiver({ args: ['--stalled'] });
      try {
        process.env.NOTIFY_SOCKET = stalled.address;
        for (let i = 0; i < 20; i++) notify.status(`filler ${i}`);
        const before = openFds();
        await expect(notify.barrier({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
        const done = notify.barrier({ timeoutMs: 60_000 });
        stalled.resume();
        await expect(done).resolves.toBe(true);
        expect(openFds()).toEqual(before);
      } finally {
        await stalled.stop();
      }
    });

    it('rejects a bad timeout', async () => {
      await expect(notify.barrier({ timeoutMs: 0 })).rejects.toMatchObject({ subject: 'timeoutMs' });
    });

    it('refuses a timeout longer than a Node timer takes, before sending anything (it would fire after 1 ms)', async () => {
      const stuck = await startReceiver({ args: ['--barrier', 'hold'] });
      try {
        process.env.NOTIFY_SOCKET = stuck.address;
        await expect(notify.barrier({ timeoutMs: 2 ** 31 })).rejects.toMatchObject({
          code: 'EINVAL',
          subject: 'timeoutMs',
          message: 'timeoutMs=2147483648: expected a number of milliseconds from 1 to 2147483647',
        });
        expect(stuck.arrived()).toEqual([]);
      } finally {
        await stuck.stop();
      }
    });
  });

  describe('without the native part (SDNODE_NO_NATIVE=1)', () => {
    let library: string | undefined;
    afterAll(() => {
      if (library) rmSync(library, { recursive: true, force: true });
    });

    it('a child process sends text through systemd-notify, in order, without blocking, with one warning; fd calls throw', async () => {
      library = transpiledLibrary(['notify/notify']);
      const script = path.join(library, 'child.mjs');
      writeFileSync(
        script,
        `import { notify } from './src/notify/notify.js';
       const codeOf = (call) => { try { call(); return 'no error'; } catch (e) { return e.name + ' ' + e.code + ': ' + e.message; } };
       console.log(notify.ready('from a child'));
       console.log(notify.status('again'));
       console.log(codeOf(() => notify.fdStore([0])));
       console.log(await notify.barrier().then(() => 'no error', (e) => e.name + ' ' + e.code));
       console.log(notify.send({ READY: 1 }, { env: { NOTIFY_SOCKET: ${JSON.stringify(path.join(scratch, 'missing.sock'))} } }));
      `,
      );
      const child = spawnSync(process.execPath, [script], {
        env: { ...process.env, SDNODE_NO_NATIVE: '1', NOTIFY_SOCKET: receiver.address },
        encoding: 'utf8',
        timeout: 60_000,
      });
      const [ready, status, fdStore, barrier, missing] = child.stdout.trim().split('\n');
      expect([ready, status]).toEqual(['true', 'true']);
      expect(fdStore).toMatch(
        /^SystemdError ENOTSUP: passing file descriptors needs the native part, which did not load: .*SDNODE_NO_NATIVE=1/,
      );
      expect(barrier).toBe('SystemdError ENOTSUP');
      // Handed to systemd-notify, which runs in the background and fails: a warning, not a throw.
      expect(missing).toBe('true');
      expect(child.stderr).toMatch(/\[SDNODE_NOTIFY\] Warning: NOTIFY_SOCKET=".*missing\.sock": notifications are not delivered/);
      expect(child.stderr.match(/SDNODE_NOTIFY_FALLBACK/g)).toHaveLength(1);
      expect(child.stderr).toMatch(/NotifyAccess=all/);

      // systemd-notify sends the fields (no trailing newline), then waits on a
      // barrier of its own, sent from its own pid: the child's child. The fields
      // carry its parent's pid when it may claim it (root), else its own.
      for (const text of ['READY=1\nSTATUS=from a child', 'STATUS=again']) {
        const datagram = await receiver.next();
        expect(datagram.data.toString()).toBe(text);
        const barrierDatagram = await receiver.next();
        expect(barrierDatagram.data.toString()).toBe('BARRIER=1');
        expect([process.pid, child.pid]).not.toContain(barrierDatagram.pid);
        expect([child.pid, barrierDatagram.pid]).toContain(datagram.pid);
      }
    });
  });
});
