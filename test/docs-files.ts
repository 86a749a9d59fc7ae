// Which markdown files the docs tests read, and what their headings' anchors are.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './support/index.js';

const inRepo = (dir: string): string[] =>
  fs
    .readdirSync(path.join(REPO_ROOT, dir))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => path.join(dir, f));

/** The tutorial and the docs beside it: every shell block in them is run, or checked another way. */
export const TUTORIAL_DOCS = ['README.md', ...inRepo('docs')];

/** Every file whose shell blocks must carry a marker. */
export const MARKED_DOCS = [...TUTORIAL_DOCS, 'CONTRIBUTING.md', 'bench/README.md', 'packages/activation/README.md'];

/** Every file whose relative links must resolve. */
export const LINKED_DOCS = [
  ...TUTORIAL_DOCS,
  'CONTRIBUTING.md',
  'bench/README.md',
  ...fs
    .readdirSync(path.join(REPO_ROOT, 'packages'))
    .map((p) => path.join('packages', p, 'README.md'))
    .filter((f) => fs.existsSync(path.join(REPO_ROOT, f))),
];

/** The text outside fenced blocks and inline code, where links and headings are. */
export function prose(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, (code) => (code.includes('](') ? '' : code));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as '-'; repeats get -1, -2, … */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const slug = (m[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    found.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return found;
}
