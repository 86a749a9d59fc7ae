import { readFileSync } from 'node:fs';

/** A socket as /proc/self/net describes it; the fallback when the native part is not loaded. */
export interface ProcSocket {
  family: 'inet4' | 'inet6' | 'unix';
  type: 'stream' | 'dgram' | 'seqpacket' | 'other';
  listening: boolean;
  address?: string;
  port?: number;
  path?: string;
}

const TCP_LISTEN = '0A';
const UNIX_ACCEPTCON = 0x10000; // __SO_ACCEPTCON in the Flags column
const UNIX_TYPES: Record<string, ProcSocket['type']> = { '0001': 'stream', '0002': 'dgram', '0005': 'seqpacket' };

/**
 * Finds a socket by inode in this process's network namespace. Sockets created in another
 * namespace (PrivateNetwork=yes: the manager made them in the host's) are not listed: undefined.
 */
export function procSocket(inode: number | bigint): ProcSocket | undefined {
  const ino = String(inode);
  return (
    findInet('tcp', 'inet4', 'stream', ino) ??
    findInet('tcp6', 'inet6', 'stream', ino) ??
    findInet('udp', 'inet4', 'dgram', ino) ??
    findInet('udp6', 'inet6', 'dgram', ino) ??
    findUnix(ino)
  );
}

function rows(table: string): string[][] {
  let text: string;
  try {
    text = readFileSync(`/proc/self/net/${table}`, 'latin1');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/));
}

// Columns: sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
function findInet(table: string, family: 'inet4' | 'inet6', type: 'stream' | 'dgram', ino: string): ProcSocket | undefined {
  const row = rows(table).find((cols) => cols[9] === ino);
  if (row === undefined) return undefined;
  const [hexAddress = '', hexPort = '0'] = (row[1] ?? '').split(':');
  return {
    family,
    type,
    listening: type === 'stream' && row[3] === TCP_LISTEN,
    address: family === 'inet4' ? ipv4(hexAddress) : ipv6(hexAddress),
    port: parseInt(hexPort, 16),
  };
}

// Columns: Num RefCount Protocol Flags Type St Inode [Path]
function findUnix(ino: string): ProcSocket | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/net/unix', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n').slice(1)) {
    const cols = line.split(' ').filter((c) => c !== '');
    if (cols[6] !== ino) continue;
    // The path is the rest of the line after the inode and may itself contain spaces.
    const match = /^\s*(?:\S+\s+){7}(.*)$/.exec(line);
    return {
      family: 'unix',
      type: UNIX_TYPES[cols[4] ?? ''] ?? 'other',
      listening: (parseInt(cols[3] ?? '0', 16) & UNIX_ACCEPTCON) !== 0,
      path: match?.[1] ?? '',
    };
  }
  return undefined;
}

/** The kernel prints each 32-bit word of the address in host byte order. */
function words(hex: string): Buffer {
  const buffer = Buffer.alloc(hex.length / 2);
  const littleEndian = process.getBuiltinModule('node:os').endianness() === 'LE';
  for (let i = 0; i < hex.length / 8; i++) {
    const word = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
    if (littleEndian) buffer.writeUInt32LE(word, i * 4);
    else buffer.writeUInt32BE(word, i * 4);
  }
  return buffer;
}

function ipv4(hex: string): string {
  return [...words(hex)].join('.');
}

/** Formats like inet_ntop: longest run of zero groups as '::', IPv4-mapped tail in dotted form. */
function ipv6(hex: string): string {
  const bytes = words(hex);
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  }
  let bestStart = -1;
  let bestLength = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = groups.map((g) => g.toString(16));
  if (bestStart < 0) return text.join(':');
  return `${text.slice(0, bestStart).join(':')}::${text.slice(bestStart + bestLength).join(':')}`;
}
