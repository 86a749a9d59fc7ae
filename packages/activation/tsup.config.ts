import { defineConfig } from 'tsup';

export default defineConfig({
  // The leaves are entry points of their own; what they share with the main one goes into common
  // chunks, so that a process that loads several has one module state (one native binding).
  entry: { index: 'src/index.ts', journal: 'src/journal/index.ts', manager: 'src/manager/index.ts' },
  format: ['esm', 'cjs'],
  splitting: true,
  dts: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  // The CommonJS build has no import.meta: the module's directory is __dirname there.
  esbuildOptions(options, { format }) {
    if (format === 'cjs') options.define = { ...options.define, 'import.meta.dirname': '__dirname' };
  },
});
