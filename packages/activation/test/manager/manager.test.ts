import { closeSync, fstatSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fdInfo, notify } from '../../src/index.js';
import { holdSocket, type Notification, receiveNotifications, whenHungUp, whenReadable } from '../../src/manager/index.js';
import { loadNative } from '../../src/native/binding.js';
import { thrown, Wakeups } from '../../../../test/support/index.js';

function nextNotification(address: string): { next: () => Promise<Notification>; close: () => void } {
  const queue: Notification[] = [];
  const arrivals = new Wakeups();
  const receiver = receiveNotifications(address, (n) => {
    queue.push(n);
    arrivals.wake();
  });
  return {
    next: async () => {
      if (!(await arrivals.until(() => queue.length > 0, 5000))) throw new Error('no notification within 5 s');
      return queue.shift() as Notification;
    },
    close: receiver.close,
  };
}

describe('receiveNotifications', () => {
  it('receives what notify() sends, with the sender credentials and the passed fds', async () => {
    const address = `@sdnode-test-receive-${process.pid}`;
    const receiver = nextNotification(address);
    const [readEnd, writeEnd] = loadNative()!.pipe();
    try {
      notify.send({ FDSTORE: 1, FDNAME: 'pipe' }, { fds: [writeEnd], env: { NOTIFY_SOCKET: address } });
      const n = await receiver.next();
      expect(n.fields).toEqual([
        ['FDSTORE', '1'],
        ['FDNAME', 'pipe'],
      ]);
      expect({ pid: n.pid, uid: n.uid, gid: n.gid }).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
      expect(n.dropped).toBeUndefined();
      expect(n.fds).toHaveLength(1);
      expect(n.fds[0]).not.toBe(writeEnd);
      expect(fstatSync(n.fds[0]!).ino).toBe(fstatSync(writeEnd).ino);
      closeSync(n.fds[0]!);
    } finally {
      receiver.close();
      closeSync(readEnd);
      closeSync(writeEnd);
    }
  });

  it('says why systemd would drop a datagram: too long, a NUL byte', async () => {
    const address = `@sdnode-test-drop-${process.pid}`;
    const receiver = nextNotification(address);
    try {
      loadNative()!.send(address, Buffer.from(`STATUS=${'x'.repeat(5000)}\n`), []);
      const long = await receiver.next();
      expect(long.dropped).toBe('larger than 4096 bytes (5008)');
      loadNative()!.send(address, Buffer.from('READY=1\0\n'), []);
      expect((await receiver.next()).dropped).toBe('it contains a NUL byte');
    } finally {
      receiver.close();
    }
  });

  it('flush() hands over, synchronously, what is queued, in order, before the wait has seen it', () => {
    const address = `@sdnode-test-flush-${process.pid}`;
    const seen: string[] = [];
    const receiver = receiveNotifications(address, (n) => seen.push(n.fields.map(([k, v]) => `${k}=${v}`).join(' ')));
    try {
      notify.send({ STATUS: 'first' }, { env: { NOTIFY_SOCKET: address } });
      notify.send({ STOPPING: 1 }, { env: { NOTIFY_SOCKET: address } });
      expect(seen).toEqual([]); // the wait on the thread pool reports in a later turn of the loop
      receiver.flush();
      expect(seen).toEqual(['STATUS=first', 'STOPPING=1']);
      receiver.flush();
      expect(seen).toHaveLength(2);
    } finally {
      receiver.close();
    }
  });

  it('an address in use is a SystemdError naming it', () => {
    const address = `@sdnode-test-taken-${process.pid}`;
    const first = receiveNotifications(address, () => {});
    try {
      const error = thrown(() => receiveNotifications(address, () => {}));
      expect(error.code).toBe('EADDRINUSE');
      expect(error.message).toContain(address);
    } finally {
      first.close();
    }
  });
});

describe('holdSocket', () => {
  it('listens without accepting: a client connects, the fd turns readable and stays so', async () => {
    const fd = holdSocket({ family: 'inet4', type: 'stream', address: '127.0.0.1', port: 0 });
    try {
      const { port } = fdInfo(fd);
      expect(await whenReadable([fd], 50)).toEqual([]);
      const client = net.connect(port!, '127.0.0.1');
      await new Promise((resolve, reject) => client.once('connect', resolve).once('error', reject));
      expect(await whenReadable([fd], 5000)).toEqual([fd]);
      // Nobody accepted it: still waiting in the backlog.
      expect(await whenReadable([fd], 0)).toEqual([fd]);
      client.destroy();
    } finally {
      closeSync(fd);
    }
  });

  it('a port in use is EADDRINUSE, naming the address', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const error = thrown(() => holdSocket({ family: 'inet4', type: 'stream', address: '127.0.0.1', port }));
      expect(error.code).toBe('EADDRINUSE');
      expect(error.message).toContain(`127.0.0.1:${port}`);
    } finally {
      server.close();
    }
  });

  it('a unix datagram socket is bound, and a datagram makes it readable', async () => {
    const address = `@sdnode-test-dgram-${process.pid}`;
    const fd = holdSocket({ family: 'unix', type: 'dgram', address });
    try {
      expect(fdInfo(fd)).toMatchObject({ family: 'unix', type: 'dgram', path: address });
      loadNative()!.send(address, Buffer.from('hello'), []);
      expect(await whenReadable([fd], 5000)).toEqual([fd]);
    } finally {
      closeSync(fd);
    }
  });
});

describe('whenHungUp', () => {
  it('a pending connection makes a listening socket readable, not hung up', async () => {
    const fd = holdSocket({ family: 'inet4', type: 'stream', address: '127.0.0.1', port: 0 });
    try {
      const client = net.connect(fdInfo(fd).port!, '127.0.0.1');
      await new Promise((resolve, reject) => client.once('connect', resolve).once('error', reject));
      expect(await whenReadable([fd], 5000)).toEqual([fd]);
      expect(await whenHungUp([fd], 50)).toEqual([]);
      client.destroy();
    } finally {
      closeSync(fd);
    }
  });

  it('a unix stream connection whose peer closes hangs up', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sdnode-hangup-'));
    const server = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve) => server.listen(path.join(dir, 's'), resolve));
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect({ path: path.join(dir, 's'), allowHalfOpen: true });
    try {
      await new Promise((resolve, reject) => client.once('connect', resolve).once('error', reject));
      const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
      const peer = await accepted;
      expect(await whenHungUp([fd], 50)).toEqual([]);
      peer.destroy();
      expect(await whenHungUp([fd], 5000)).toEqual([fd]);
    } finally {
      client.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
