// Prints { pid, underSystemd, isBooted, invocationId } for this process; with "child", also
// for a child it spawns with the same environment (a child of the service, not the service).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { invocationId, isBooted, underSystemd } from '../../dist/index.js';

const self = { pid: process.pid, underSystemd: underSystemd(), isBooted: isBooted(), invocationId: invocationId() ?? null };
if (process.argv[2] === 'child') {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], { encoding: 'utf8' });
  self.child = JSON.parse(child.stdout);
}
process.stdout.write(`${JSON.stringify(self)}\n`);
