// The README's "## Deploying with unit files" blocks: the commands marked `<!-- systemd: run -->`,
// each with the `<!-- systemd: output -->` block after it, and how their output is compared.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fencedBlocks, REPO_ROOT } from '../support/index.js';

export const SECTION = '## Deploying with unit files';

export interface DeployBlock {
  /** The commands as the README shows them. */
  commands: string;
  /** The `systemd: output` block after it; '' when there is none (the commands print nothing). */
  output: string;
  line: number;
}

/** The section's text, from its heading to the next one, and the README line it starts on. */
export function deploySection(readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')): { text: string; line: number } {
  const start = readme.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`README.md: no "${SECTION}" section`);
  const end = readme.indexOf('\n## ', start + 1 + SECTION.length);
  return { text: readme.slice(start + 1, end < 0 ? undefined : end + 1), line: readme.slice(0, start + 1).split('\n').length };
}

/** The section's runnable blocks in order; throws on a shell block left unmarked or an output block without commands. */
export function deployBlocks(): DeployBlock[] {
  const { text, line } = deploySection();
  const all = fencedBlocks(text, 'README.md', line);
  const blocks: DeployBlock[] = [];
  all.forEach((fence, i) => {
    if (fence.marker === 'systemd: run') {
      const next = all[i + 1];
      blocks.push({ commands: fence.body, output: next?.marker === 'systemd: output' ? next.body : '', line: fence.line });
    } else if (fence.marker === 'systemd: output') {
      if (all[i - 1]?.marker !== 'systemd: run') throw new Error(`README line ${fence.line}: output block without a run block before it`);
    } else if (fence.lang === 'sh') {
      throw new Error(`README line ${fence.line}: shell block in "${SECTION}" without <!-- systemd: run -->`);
    }
  });
  return blocks;
}

/**
 * The commands as run in the test bed, where the harness is root and there is no sudo: a `sudo`
 * starting a command (at the line start or after a pipe) is dropped.
 */
export function withoutSudo(commands: string): string {
  return commands.replace(/(^|\|\s*)sudo /gm, '$1');
}

/** Lines of the test bed that a real machine does not print. */
const BED_ONLY = [
  // nspawn shares the host's network namespace and denies the manager CAP_NET_ADMIN over it: setting up
  // the loopback device of PrivateNetwork=yes fails (harmlessly: the service needs no network of its own).
  /Failed to configure loopback network device, ignoring: Operation not permitted$/,
];

/**
 * What varies between runs and machines, replaced by fixed words: the time a unit started and how
 * long ago, process ids, and a journal line's date and host name. The rest must match exactly.
 */
export function normalize(output: string): string {
  const lines = output
    .split('\n')
    .filter((l) => !BED_ONLY.some((re) => re.test(l)))
    .map((l) =>
      l
        .replace(/ since \w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w+; .+ ago$/, ' since DATE; TIME ago')
        .replace(/^(\s*Main PID: )\d+/, '$1PID')
        .replace(/^(\s+[└├]─)\d+ /, '$1PID ')
        .replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ (\S+)\[\d+\]: /, 'DATE HOST $1[PID]: '),
    );
  // `systemctl status` ends with the unit's last journal lines. The daemon's stderr and the manager's
  // own messages reach the journal by different routes, so their order may differ: compare them sorted.
  const journal = lines.findIndex((l) => l.startsWith('DATE HOST '));
  if (journal < 0) return lines.join('\n');
  const tail = lines.slice(journal);
  const end = tail.findIndex((l) => !l.startsWith('DATE HOST '));
  const entries = end < 0 ? tail : tail.slice(0, end);
  return [...lines.slice(0, journal), ...[...entries].sort(), ...(end < 0 ? [] : tail.slice(end))].join('\n');
}

/** Blocks that only ask systemd: they may be asked again while the manager catches up on notifications. */
export function readOnly(commands: string): boolean {
  const lines = commands.trim().split('\n');
  return lines.every((l) => /^systemctl (status|show|list-sockets|list-units|is-active) /.test(l));
}
