import { defineConfig } from 'tsup';

// Each daemon builds to one CommonJS file, dist/main.js, run directly by node or a unit's ExecStart=.
// The library is inlined: one file to load starts measurably faster than an ESM module graph.
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['cjs'],
  noExternal: ['@sdnode/activation'],
  // The inlined library asks for its module's directory; in this CommonJS file that is __dirname.
  define: { 'import.meta.dirname': '__dirname' },
  clean: true,
  target: 'node20',
  platform: 'node',
  banner: { js: '#!/usr/bin/env node' },
});
