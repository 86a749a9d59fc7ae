#!/usr/bin/env node
// The bin pnpm links at install time, before anything is built (it links no file that does not
// exist yet): it runs the build's single file, or says how to make it.
const path = require('node:path');
const main = path.join(__dirname, '..', 'dist', 'main.js');
try {
  require.resolve(main);
} catch {
  process.stderr.write(`sdnode: ${main} is missing: run \`pnpm run build\` first\n`);
  process.exit(1);
}
require(main);
