// socket-service and SIGHUP outside systemd: a reload under a service manager (NOTIFY_SOCKET set),
// the default action (the process ends) when started by hand, where SIGHUP is a closing terminal.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { launch, NotifyReceiver, request, stopAll } from '../support/index.js';

afterEach(stopAll);

describe('socket-service and SIGHUP', () => {
  it('with NOTIFY_SOCKET: RELOADING=1, the configuration file read again, READY=1; same process', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdnode-reload-'));
    const config = path.join(dir, 'socket-service.conf');
    fs.writeFileSync(config, 'ANSWER=before\n');
    const receiver = await NotifyReceiver.start();
    try {
      const { process: daemon, port } = await launch('socket-service', {
        env: { NOTIFY_SOCKET: receiver.path, SOCKET_SERVICE_CONFIG: config },
      });
      expect(await request(port)).toBe('before\n');
      fs.writeFileSync(config, 'ANSWER=after\n');
      daemon.signal('SIGHUP');
      expect(await receiver.waitFor(/^STATUS=.*configuration reloaded, answering "after"$/)).toBe(true);
      const reloading = receiver.lines.indexOf('RELOADING=1');
      expect(reloading).toBeGreaterThan(-1);
      expect(receiver.lines[reloading + 1]).toMatch(/^MONOTONIC_USEC=\d+$/);
      expect(receiver.lines.lastIndexOf('READY=1')).toBeGreaterThan(reloading);
      expect(await request(port)).toBe('after\n');
      expect(daemon.alive).toBe(true);
    } finally {
      await receiver.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('started by hand (no NOTIFY_SOCKET): SIGHUP still ends the process', async () => {
    const { process: daemon, port } = await launch('socket-service');
    expect(await request(port)).toBe('This is a test\n');
    daemon.signal('SIGHUP');
    expect(await daemon.waitForExit()).toMatchObject({ signal: 'SIGHUP' });
  });
});
