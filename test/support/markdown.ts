// The one reader of the docs' fenced code blocks, for every test that runs or checks them
// (test/tutorial*.ts, test/docs.test.ts, test/examples/readme.test.ts, test/systemd/readme-blocks.ts).
// A block may be marked by an HTML comment on the line right before its fence, `<!-- KIND: VALUE -->`;
// CONTRIBUTING.md ("How the docs are tested") lists the markers and what each makes a test do.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';

export interface Block {
  /** The file, relative to the repository ('README.md', 'docs/deploying.md', …). */
  file: string;
  /** "tutorial: run", "excerpt: FILE", … from the comment right before the fence; undefined when none. */
  marker: string | undefined;
  lang: string;
  body: string;
  /** The line of the fence (or of the marker before it), 1-based. */
  line: number;
}

const FENCE = /(?:<!-- ([^>]*?) -->\n)?```(\w*)\n([\s\S]*?)```/g;

/** The blocks of `markdown` in order; `firstLine` is the line `markdown` starts on in `file`. */
export function fencedBlocks(markdown: string, file: string, firstLine = 1): Block[] {
  return [...markdown.matchAll(FENCE)].map((m) => ({
    file,
    marker: m[1],
    lang: m[2] ?? '',
    body: m[3] ?? '',
    line: firstLine + markdown.slice(0, m.index).split('\n').length - 1,
  }));
}

/** The blocks of a file of the repository (path relative to it). */
export function blocksOf(file: string): Block[] {
  return fencedBlocks(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'), file);
}

/** The blocks marked `<!-- KIND: VALUE -->`, each with its VALUE. */
export function markedBlocks(blocks: Block[], kind: string): (Block & { value: string })[] {
  return blocks.filter((b) => b.marker?.startsWith(`${kind}: `)).map((b) => ({ ...b, value: (b.marker ?? '').slice(kind.length + 2) }));
}
