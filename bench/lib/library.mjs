// The built @sdnode/activation that the in-process measurements import.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './build.mjs';

export const LIBRARY_ROOT = path.join(ROOT, 'packages', 'activation');
const entry = path.join(LIBRARY_ROOT, 'dist', 'index.js');
/** What `import()` takes, in this process or in a child's script. */
export const LIBRARY_URL = pathToFileURL(entry).href;
/** The journal entry point (`@sdnode/activation/journal`). */
export const JOURNAL_URL = pathToFileURL(path.join(LIBRARY_ROOT, 'dist', 'journal.js')).href;

/** Ends the measurement with the fix when the library has not been built. */
export function requireBuiltLibrary() {
  if (existsSync(entry)) return;
  console.error(`${entry} is missing: run "pnpm run build" first`);
  process.exit(1);
}
