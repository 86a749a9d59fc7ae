import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../src/address.js';
import { parseActivateArgs, splitCommand } from '../src/options.js';
import { SDNODE } from './helpers.js';

function sdnode(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const result = spawnSync(process.execPath, [SDNODE, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe('addresses, as systemd-socket-activate reads them', () => {
  it.each([
    ['8080', { family: 'inet6', address: '::', port: 8080 }],
    ['127.0.0.1:8080', { family: 'inet4', address: '127.0.0.1', port: 8080 }],
    ['[::1]:8080', { family: 'inet6', address: '::1', port: 8080 }],
    ['/run/x.sock', { family: 'unix', address: '/run/x.sock' }],
    ['@x', { family: 'unix', address: '@x' }],
  ])('%s', (value, expected) => {
    expect(parseListenAddress(value, 'stream')).toEqual({ type: 'stream', ...expected });
  });

  it.each(['0', '65536', 'localhost:80', '[::1]', '1.2.3.4:', '[nope]:80', 'eighty', '@', `/${'x'.repeat(108)}`])(
    '%s is refused, naming --listen and the value',
    (value) => {
      expect(() => parseListenAddress(value, 'stream')).toThrow(`--listen ${JSON.stringify(value)}: expected`);
    },
  );
});

describe('arguments', () => {
  it('COMMAND starts at -- or at the first word that is no option value', () => {
    expect(splitCommand(['-l', '80', 'node', '-e', 'x'])).toEqual({ options: ['-l', '80'], command: ['node', '-e', 'x'] });
    expect(splitCommand(['-l', '80', '--', '-weird'])).toEqual({ options: ['-l', '80'], command: ['-weird'] });
    expect(splitCommand(['--listen=80', '-a', 'cat'])).toEqual({ options: ['--listen=80', '-a'], command: ['cat'] });
  });

  it('-E, --fdname and the defaults', () => {
    const options = parseActivateArgs(['-l', '1', '-l', '2', '-E', 'A=1', '-E', 'HOME', '-E', 'UNSET_HERE', '--fdname', 'web', 'cmd'], {
      HOME: '/h',
    });
    expect(options).toMatchObject({
      env: { A: '1', HOME: '/h' },
      fdNames: ['web', 'unknown'],
      accept: false,
      stopTimeoutMs: 10_000,
      fdStoreMax: 64,
    });
    expect(parseActivateArgs(['-l', '1', '-a', 'cmd'])).toMatchObject({ fdNames: ['connection'] });
    // systemd's rule (fdname_is_valid()), which the library's FDNAME= follows too: a space is printable.
    expect(parseActivateArgs(['-l', '1', '--fdname', 'web api', 'cmd'])).toMatchObject({ fdNames: ['web api'] });
    expect(parseActivateArgs(['-l', '1', '--watchdog', '2.5', 'cmd'])).toMatchObject({ watchdogUsec: 2_500_000n });
  });

  it.each([
    [['-l', '1'], 'no COMMAND given'],
    [['cmd'], 'no --listen ADDR given'],
    [['-l', '1', '--inetd', 'cmd'], '--inetd needs --accept'],
    [['-l', '1', '-a', '-d', 'cmd'], '--accept works on stream and seqpacket sockets only'],
    [['-l', '1', '--fdname', 'a:b', 'cmd'], '2 names for 1 socket'],
    [
      ['-l', '1', '--fdname', 'a\tb', 'cmd'],
      '"a\\tb" is not a name: expected 1 to 255 printable ASCII characters (spaces too) without ":"',
    ],
    [['-l', '1', '--watchdog', '0', 'cmd'], '--watchdog "0": expected a number of seconds greater than 0'],
    [['-l', '1', '--nope', 'cmd'], "Unknown option '--nope'"],
  ])('%j: %s', (args, message) => {
    expect(() => parseActivateArgs(args)).toThrow(message);
  });
});

describe('the sdnode command', () => {
  it('--help lists every option', () => {
    const { status, stdout } = sdnode('activate', '--help');
    expect(status).toBe(0);
    for (const option of [
      '--listen',
      '--accept',
      '--inetd',
      '--datagram',
      '--seqpacket',
      '--fdname',
      '--setenv',
      '--watchdog',
      '--fdstore-max',
      '--stop-timeout',
      '--watch',
      '--json',
    ]) {
      expect(stdout).toContain(option);
    }
  });

  it('a missing COMMAND, an unknown one, a bad address: one line and status 1', () => {
    expect(sdnode('activate', '-l', '127.0.0.1:1')).toMatchObject({
      status: 1,
      stderr: 'sdnode: no COMMAND given: sdnode activate [OPTIONS] -- COMMAND [ARGS...]\n',
    });
    expect(sdnode('activate', '-l', '127.0.0.1:1', '--', 'no-such-command-here')).toMatchObject({
      status: 1,
      stderr: 'sdnode: COMMAND "no-such-command-here": not found in PATH\n',
    });
    expect(sdnode('activate', '-l', 'localhost:80', '--', 'true').stderr).toMatch(
      /^sdnode: --listen "localhost:80": expected .*host names are not resolved/,
    );
  });

  it('a port in use: EADDRINUSE naming the address', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const { status, stderr } = sdnode('activate', '-l', `127.0.0.1:${port}`, '--', 'true');
      expect(status).toBe(1);
      expect(stderr).toBe(`sdnode: cannot listen on 127.0.0.1:${port}: bind: Address already in use (EADDRINUSE)\n`);
    } finally {
      server.close();
    }
  });
});
