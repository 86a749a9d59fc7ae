// The README's fenced blocks, each with the marker comment right before it, for the tests that run
// them (test/tutorial.test.ts, test/tutorial-sdnode.test.ts). The markers are described in the
// README's "How this README is tested".
import { blocksOf } from './support/index.js';

/** Every block of README.md, in order. */
export const ALL = blocksOf('README.md');

/** The output block right after block i, if marked so. */
export function outputAfter(i: number): string | undefined {
  const next = ALL[i + 1];
  return next?.marker === 'tutorial: output' ? next.body : undefined;
}

/**
 * The ports the README's commands show: 3000–3002 (the daemons), 7010 (the fd-store example), 8080
 * (the framework examples). The tests run each command on a free port of their own range instead.
 */
export const README_PORT = /\b(?:300[0-2]|7010|8080)\b/g;
