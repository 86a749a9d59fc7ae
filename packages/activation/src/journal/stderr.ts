import { fstatSync } from 'node:fs';

/**
 * True when fd 2 is the stream the manager connected to the journal: JOURNAL_STREAM holds its
 * `device:inode`, and a child that inherited the variable with another stderr must not believe it.
 */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const expected = env.JOURNAL_STREAM;
  if (expected === undefined) return false;
  try {
    const stat = fstatSync(2, { bigint: true });
    return `${stat.dev}:${stat.ino}` === expected;
  } catch {
    return false;
  }
}

/**
 * An entry as stderr lines, `identifier: line`; with `prefixed` (stderr is the journal stream,
 * which reads it) each line starts with `<priority>`.
 */
export function stderrLines(identifier: string, priority: number, message: string, prefixed: boolean): string {
  const lines = message.split('\n').map((line) => `${prefixed ? `<${priority}>` : ''}${identifier}: ${line}`);
  return `${lines.join('\n')}\n`;
}

let stderrGuarded = false;

/** A closed or broken stderr must not crash the service for a log line (console.error ignores it too). */
export function writeStderr(line: string): void {
  if (!stderrGuarded) {
    stderrGuarded = true;
    process.stderr.on('error', () => {});
  }
  try {
    process.stderr.write(line);
  } catch {
    // nowhere left to say it
  }
}
