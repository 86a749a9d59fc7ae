// Sockets of families Node cannot adopt (ListenStream=vsock:, ListenNetlink=, …): a clear error naming
// the fd and the family, not Node's bare `listen EINVAL`. Python makes the real socket and execs node
// in its place with it as fd 3 (LISTEN_PID is then node's pid).
import { spawnSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execWithFd3 } from './python-passes-fd3.js';
import { assertBuilt, libraryEntry, python, Running, stopAll } from '../../../../test/support/index.js';

afterEach(stopAll);
beforeAll(assertBuilt);

// argv: the family, then the program to exec.
const MAKE_SOCKET = `
import os, socket, sys
kind = sys.argv[1]
if kind == 'vsock':
    s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    s.bind((socket.VMADDR_CID_ANY, socket.VMADDR_PORT_ANY))
    s.listen(8)
else:
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    s.bind((0, 0))
${execWithFd3(2)}`;

// Each call's error message, one JSON line.
const ADOPT = `
import net from 'node:net';
const lib = await import(process.argv[1]);
const calls = {
  listen: () => lib.listen(net.createServer()),
  listenFd: () => lib.listen(net.createServer(), { fd: 3 }),
  datagram: async () => lib.adoptDatagram(),
};
const out = {};
for (const [name, call] of Object.entries(calls)) out[name] = await call().then(() => 'adopted', (e) => e.code + ' ' + e.message);
process.stdout.write(JSON.stringify(out) + '\\n');
`;

const vsockWorks =
  spawnSync(
    python,
    [
      '-c',
      'import socket; s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM); s.bind((socket.VMADDR_CID_ANY, socket.VMADDR_PORT_ANY))',
    ],
    {
      stdio: 'ignore',
    },
  ).status === 0;

async function messages(kind: 'vsock' | 'netlink'): Promise<Record<string, string>> {
  const child = new Running(python, ['-c', MAKE_SOCKET, kind, process.execPath, '--input-type=module', '-e', ADOPT, libraryEntry], {
    env: { PATH: process.env.PATH },
  });
  await child.waitForExit(20_000);
  return JSON.parse(child.stdout) as Record<string, string>;
}

describe('a passed socket of a family Node cannot adopt', () => {
  it.skipIf(!vsockWorks)('AF_VSOCK listening stream socket (ListenStream=vsock:): every call names fd 3 and AF_VSOCK', async () => {
    const got = await messages('vsock');
    const what =
      'fd 3 "unknown" (a listening AF_VSOCK stream socket, which Node cannot adopt: it takes inet4, inet6 and unix sockets only)';
    expect(got.listen).toBe(`ENOENT no activated listening stream socket among ${what} and no fallback given`);
    expect(got.listenFd).toMatch(
      /^EINVAL fd 3 \("unknown"\) is a listening AF_VSOCK stream socket, which Node cannot adopt: .*; the fd was left open$/,
    );
    expect(got.datagram).toBe(`ENOENT no datagram socket among ${what}`);
  });

  it('AF_NETLINK socket (ListenNetlink=): named, not called a datagram or stream socket', async () => {
    const got = await messages('netlink');
    expect(got.listen).toContain('fd 3 "unknown" (an AF_NETLINK socket, which Node cannot adopt');
    expect(got.listenFd).toMatch(/^EINVAL fd 3 \("unknown"\) is an AF_NETLINK socket, which Node cannot adopt/);
    expect(got.datagram).toContain('no datagram socket among fd 3 "unknown" (an AF_NETLINK socket');
  });
});
