import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { notify } from '../../src/notify/notify.js';
import { onReload } from '../../src/notify/reload.js';
import { type Receiver, sleep, startReceiver, thrown } from '../../../../test/support/index.js';

// The test worker is a process of its own (pool: forks): it can signal itself.
let receiver: Receiver;
let unregister: (() => void) | undefined;

beforeAll(async () => {
  receiver = await startReceiver();
  process.env.NOTIFY_SOCKET = receiver.address;
});
afterAll(async () => {
  delete process.env.NOTIFY_SOCKET;
  await receiver?.stop();
});
afterEach(() => {
  unregister?.();
  unregister = undefined;
});

async function text(): Promise<string> {
  return (await receiver.next()).data.toString('utf8');
}

/** Sends a marker and takes every datagram up to it: proves nothing else was sent. */
async function restUntilMarker(): Promise<string[]> {
  notify.status('marker');
  return (await receiver.until('STATUS=marker\n', 21)).slice(0, -1);
}

/** Whether this process has a handler for SIGHUP in the kernel: bit 1 << (1 - 1) of /proc/self/status SigCgt. */
function catchesSighup(): boolean {
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
  return (BigInt(`0x${mask}`) & 1n) === 1n;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('onReload', () => {
  it('catches the signal in the kernel before it returns (SigCgt), and gives it back when unregistered', () => {
    // Type=notify-reload: newer systemd reads SigCgt when READY=1 arrives; a READY=1 sent right after
    // onReload() must find SIGHUP caught.
    expect(catchesSighup(), 'SIGHUP caught before onReload()').toBe(false);
    const off = onReload(() => undefined);
    expect(catchesSighup()).toBe(true);
    off();
    expect(catchesSighup()).toBe(false);
  });

  it('SIGHUP: RELOADING=1 with MONOTONIC_USEC in one datagram, the handler, then READY=1 with its STATUS', async () => {
    let calls = 0;
    unregister = onReload(async () => {
      calls++;
      await sleep(20);
      return 'Serving with configuration 2';
    });
    const before = process.hrtime.bigint() / 1000n;
    process.kill(process.pid, 'SIGHUP');
    const first = await text();
    const after = process.hrtime.bigint() / 1000n;
    const match = /^RELOADING=1\nMONOTONIC_USEC=(\d+)\n$/.exec(first);
    expect(match, first).not.toBeNull();
    const usec = BigInt(match![1]!);
    expect(usec >= before && usec <= after).toBe(true);
    expect(await text()).toBe('READY=1\nSTATUS=Serving with configuration 2\n');
    expect(calls).toBe(1);
    expect(await restUntilMarker()).toEqual([]);
  });

  it('a handler that returns nothing: STATUS=Reloaded', async () => {
    unregister = onReload(() => undefined);
    process.kill(process.pid, 'SIGHUP');
    expect(await text()).toMatch(/^RELOADING=1\n/);
    expect(await text()).toBe('READY=1\nSTATUS=Reloaded\n');
  });

  it('a handler that throws: still READY=1, STATUS says the old configuration stays, ERRNO from the error', async () => {
    const errors: unknown[] = [];
    unregister = onReload(
      () => {
        readFileSync('/nonexistent/sdnode.conf');
        return 'never';
      },
      { onError: (e) => errors.push(e) },
    );
    process.kill(process.pid, 'SIGHUP');
    expect(await text()).toMatch(/^RELOADING=1\n/);
    expect(await text()).toBe(
      "READY=1\nSTATUS=Reload failed, still on the previous configuration: ENOENT: no such file or directory, open '/nonexistent/sdnode.conf'\nERRNO=2\n",
    );
    expect(errors).toHaveLength(1);
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('an error with only an errno name (a SystemdError): ERRNO from the name', async () => {
    unregister = onReload(
      () => {
        throw Object.assign(new Error('ANSWER is empty'), { code: 'EINVAL' });
      },
      { onError: () => {} },
    );
    process.kill(process.pid, 'SIGHUP');
    await text();
    expect(await text()).toBe('READY=1\nSTATUS=Reload failed, still on the previous configuration: ANSWER is empty\nERRNO=22\n');
  });

  it('an error without errno, with line breaks: no ERRNO, one line of STATUS', async () => {
    unregister = onReload(
      async () => {
        throw new Error('line one\nline two');
      },
      { onError: () => {} },
    );
    process.kill(process.pid, 'SIGHUP');
    await text();
    expect(await text()).toBe('READY=1\nSTATUS=Reload failed, still on the previous configuration: line one line two\n');
  });

  it('signals during a reload are coalesced into one more reload, none lost', async () => {
    const gates = [deferred(), deferred()];
    let calls = 0;
    unregister = onReload(async () => {
      const gate = gates[calls++];
      await gate?.promise;
      return `reload ${calls}`;
    });
    process.kill(process.pid, 'SIGHUP');
    expect(await text()).toMatch(/^RELOADING=1\n/);
    for (let i = 0; i < 3; i++) process.kill(process.pid, 'SIGHUP');
    await sleep(50); // let the three signals arrive
    gates[0]!.resolve();
    expect(await text()).toBe('READY=1\nSTATUS=reload 1\n');
    expect(await text()).toMatch(/^RELOADING=1\n/);
    gates[1]!.resolve();
    expect(await text()).toBe('READY=1\nSTATUS=reload 2\n');
    expect(await restUntilMarker()).toEqual([]);
    expect(calls).toBe(2);
  });

  it('unregistering gives the signal back; one handler at a time', () => {
    const listeners = process.listenerCount('SIGHUP');
    const off = onReload(() => undefined);
    expect(process.listenerCount('SIGHUP')).toBe(listeners + 1);
    const error = thrown(() => onReload(() => undefined));
    expect(error.code).toBe('EEXIST');
    off();
    off(); // a second call does nothing
    expect(process.listenerCount('SIGHUP')).toBe(listeners);
    unregister = onReload(() => undefined, { signal: 'SIGUSR2' });
    expect(process.listenerCount('SIGUSR2')).toBe(1);
  });

  it('refuses a handler that is not a function', () => {
    const error = thrown(() => onReload('reload' as never));
    expect([error.code, error.subject]).toEqual(['EINVAL', 'handler']);
  });

  it('without NOTIFY_SOCKET the handler still runs', async () => {
    delete process.env.NOTIFY_SOCKET;
    try {
      const ran = deferred();
      unregister = onReload(() => {
        ran.resolve();
        return undefined;
      });
      process.kill(process.pid, 'SIGHUP');
      await ran.promise;
    } finally {
      process.env.NOTIFY_SOCKET = receiver.address;
    }
    expect(await restUntilMarker()).toEqual([]);
  });
});
