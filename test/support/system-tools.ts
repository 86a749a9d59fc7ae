// The system tools the tests run, and the Debian package of each, from scripts/system-packages.txt
// (the list that ./scripts/test.sh installs as root). A test that needs a missing tool skips with a
// reason naming the package to install: a missing tool is never a test failure.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestRunner } from 'vitest';

const LIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/system-packages.txt');

/** Each tool (command or file) → its Debian package. */
const packageOf = new Map(
  readFileSync(LIST, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [pkg, tool] = line.trim().split(/\s+/);
      return [tool!, pkg!] as const;
    }),
);

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(path.join(dir || '.', command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Why a test that runs these tools cannot run here ('' when it can): the missing ones and the
 * command that installs them. Throws when a tool is not in scripts/system-packages.txt.
 */
export function missingTools(...tools: string[]): string {
  const missing = tools.filter((tool) => {
    if (!packageOf.has(tool)) throw new Error(`${tool} is not in scripts/system-packages.txt`);
    return tool.includes('/') ? !existsSync(tool) : !onPath(tool);
  });
  if (missing.length === 0) return '';
  const packages = [...new Set(missing.map((tool) => packageOf.get(tool)))];
  return `needs ${missing.join(', ')}: sudo apt-get install ${packages.join(' ')}`;
}

/** " (skipped: …)" for a test title when tools are missing, else ''. */
export function skippedFor(...tools: string[]): string {
  const reason = missingTools(...tools);
  return reason ? ` (skipped: ${reason})` : '';
}

/**
 * For helpers that run a tool on a test's behalf: skips the running test, with missingTools'
 * reason, when one is missing. Outside a test (in a hook) throws that reason instead.
 */
export function requireTools(...tools: string[]): void {
  const reason = missingTools(...tools);
  if (reason === '') return;
  const test = TestRunner.getCurrentTest();
  if (test === undefined) throw new Error(reason);
  test.context.skip(reason);
}
