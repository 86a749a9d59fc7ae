import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTIVATION_ROOT, missingTools, startReceiver } from '../../../../test/support/index.js';

// The arm64 prebuilt, loaded by a real arm64 node under qemu-aarch64: the package's own
// loader picks prebuilds/linux-arm64 and the addon talks to a receiver on this machine.
const packageRoot = ACTIVATION_ROOT;
const arm64Node = process.env.SDNODE_TEST_ARM64_NODE ?? '';
// The arm64 prebuilt needs its compiler; the arm64 node, qemu and the arm64 C++ runtime.
const tools = missingTools('aarch64-linux-gnu-gcc', 'qemu-aarch64', '/usr/aarch64-linux-gnu/lib/libstdc++.so.6');
const reason =
  tools !== ''
    ? tools
    : arm64Node === ''
      ? 'SDNODE_TEST_ARM64_NODE is not set (scripts/arm64-node.sh fetches one; ./scripts/test.sh does)'
      : !existsSync(arm64Node)
        ? `${arm64Node} does not exist`
        : '';

describe.skipIf(reason !== '')(`the arm64 prebuilt under an arm64 node${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('loads, tells a socket apart and sends a notification with an fd', async () => {
    const receiver = await startReceiver();
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      // fd 3 of the arm64 process is this listening socket, passed as an extra stdio slot.
      const script = `
        import { fdInfo, notify } from ${JSON.stringify(path.join(packageRoot, 'dist', 'index.js'))};
        const info = fdInfo(3);
        notify.send({ READY: 1, STATUS: process.arch + ' ' + info.family + ' ' + info.type + ' ' + info.listening + ' ' + info.port });
        notify.fdStore([3], { name: 'from-arm64' });`;
      const child = spawn('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', arm64Node, '--input-type=module', '-e', script], {
        env: { ...process.env, NOTIFY_SOCKET: receiver.address },
        stdio: ['ignore', 'pipe', 'pipe', (server as unknown as { _handle: { fd: number } })._handle.fd],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk) => (stderr += chunk));
      const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(stderr).toBe('');
      expect(status).toBe(0);

      const ready = await receiver.next(30_000);
      expect(ready.text).toBe(`READY=1\nSTATUS=arm64 inet4 stream true ${port}\n`);
      expect(ready.pid).toBe(child.pid);
      const stored = await receiver.next(30_000);
      expect(stored.text).toBe('FDSTORE=1\nFDNAME=from-arm64\n');
      expect(stored.fds).toEqual([expect.objectContaining({ type: 'socket', port, listening: true })]);
    } finally {
      server.close();
      await receiver.stop();
    }
  }, 120_000);
});
