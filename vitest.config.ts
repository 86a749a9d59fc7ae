import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Tests start real daemons and real systemd managers on a 2-core machine.
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
  },
});
