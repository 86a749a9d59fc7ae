import { defineConfig } from 'tsup';

// Each daemon builds to one file, dist/main.js, run directly by node or a unit's ExecStart=.
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  clean: true,
  target: 'node20',
  platform: 'node',
  banner: { js: '#!/usr/bin/env node' },
});
