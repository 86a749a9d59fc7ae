// The tutorial's fenced blocks (README.md, and docs/*.md for the commands beside it), each with the
// marker comment right before it, for the tests that run them (test/tutorial.test.ts,
// test/tutorial-sdnode.test.ts). The markers are described in CONTRIBUTING.md ("How the docs are tested").
import { TUTORIAL_DOCS } from './docs-files.js';
import { type Block, blocksOf } from './support/index.js';

/** Every block of README.md, in order. */
export const ALL = blocksOf('README.md');

/** The blocks of each tutorial file, README.md first. */
export const BY_FILE: [string, Block[]][] = TUTORIAL_DOCS.map((file) => [file, blocksOf(file)]);

/** The output block right after block i of `blocks` (README.md's by default), if marked so. */
export function outputAfter(i: number, blocks: Block[] = ALL): string | undefined {
  const next = blocks[i + 1];
  return next?.marker === 'tutorial: output' ? next.body : undefined;
}

/**
 * The ports the docs' commands show: 3000–3002 (the daemons), 7010 (the fd-store example), 8080
 * (the framework examples). The tests run each command on a free port of their own instead.
 */
export const README_PORT = /\b(?:300[0-2]|7010|8080)\b/g;
