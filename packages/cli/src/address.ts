import { isIPv4, isIPv6 } from 'node:net';
import { SystemdError } from '@sdnode/activation';
import type { HeldSocketAddress } from '@sdnode/activation/manager';

const EXPECTED = 'PORT, IPv4:PORT, [IPv6]:PORT, /path or @abstract';

/**
 * Parses a `--listen` address the way systemd-socket-activate (and ListenStream=) reads one:
 * `PORT` (every address, IPv6 and IPv4), `HOST:PORT` with an IPv4 literal, `[IPv6]:PORT`,
 * `/path`, `@abstract`. Host names are not resolved (systemd does not either).
 * Throws a SystemdError (EINVAL) naming the option and the value.
 */
export function parseListenAddress(value: string, type: HeldSocketAddress['type']): HeldSocketAddress {
  if (value.startsWith('/') || value.startsWith('@')) {
    if (value.length < 2) throw bad(value);
    if (Buffer.byteLength(value) > 108) throw bad(value, 'at most 108 bytes for a unix socket name', 'ENAMETOOLONG');
    return { family: 'unix', type, address: value };
  }
  if (/^[0-9]+$/.test(value)) return { family: 'inet6', type, address: '::', port: port(value, value) };
  const bracketed = /^\[([^\]]+)\]:([^:]+)$/.exec(value);
  if (bracketed !== null) {
    const [, host, rawPort] = bracketed as unknown as [string, string, string];
    if (!isIPv6(host)) throw bad(value, `${EXPECTED} (${JSON.stringify(host)} is not an IPv6 address)`);
    return { family: 'inet6', type, address: host, port: port(value, rawPort) };
  }
  const colon = value.lastIndexOf(':');
  if (colon > 0) {
    const host = value.slice(0, colon);
    if (!isIPv4(host)) throw bad(value, `${EXPECTED} (${JSON.stringify(host)} is not an IPv4 address; host names are not resolved)`);
    return { family: 'inet4', type, address: host, port: port(value, value.slice(colon + 1)) };
  }
  throw bad(value);
}

function port(value: string, raw: string): number {
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw) || n < 1 || n > 65535) throw bad(value, `${EXPECTED}, with a port from 1 to 65535`);
  return n;
}

function bad(value: string, expected = EXPECTED, code = 'EINVAL'): SystemdError {
  return new SystemdError(`--listen ${JSON.stringify(value)}: expected ${expected}`, code, { subject: '--listen', value });
}

/** How an address is shown in messages: as it was given on the command line. */
export function showAddress(where: HeldSocketAddress): string {
  if (where.family === 'unix') return where.address;
  return where.family === 'inet6' ? `[${where.address}]:${where.port}` : `${where.address}:${where.port}`;
}
