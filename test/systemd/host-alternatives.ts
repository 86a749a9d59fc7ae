import * as fs from 'node:fs';
import type { Bed } from './harness.js';

const ALTERNATIVES = '/etc/alternatives';

/**
 * Recreates the host's Debian alternatives links (/etc/alternatives/nc → /bin/nc.openbsd, awk, …) in
 * the bed. The container boots the host's /usr with an empty /etc, where /usr/bin/nc and the like
 * would dangle; on a real machine they resolve.
 */
export async function linkHostAlternatives(bed: Bed): Promise<number> {
  if (!fs.existsSync(ALTERNATIVES)) return 0;
  const links: string[] = [];
  for (const name of fs.readdirSync(ALTERNATIVES)) {
    const link = `${ALTERNATIVES}/${name}`;
    if (fs.lstatSync(link).isSymbolicLink()) links.push(link, fs.readlinkSync(link));
  }
  // Pairs of arguments, so that no name needs quoting.
  await bed.exec(['sh', '-c', 'mkdir -p "$0"; while [ $# -gt 0 ]; do ln -sfn "$2" "$1"; shift 2; done', ALTERNATIVES, ...links]);
  return links.length / 2;
}
