// bench/results.md and the rows of bench/chart.svg, from one run's sections.
import { meets } from './ratios.mjs';
import { SETTLED_VARIANTS } from './settled.mjs';
import { detailTable, failureNotes, summaryRows, summaryTable, variantRows, variantsTable } from './report.mjs';

/** One chart group per measurement: ours per mode, then the variants of ours, against the same reference. */
export function chartGroups(sections) {
  const variants = variantRows(sections);
  return sections.map((section) => {
    const rows = [];
    for (const row of summaryRows(sections).filter((r) => r.section === section)) {
      rows.push({ label: `${row.where}: ours`, ratio: row.ratio, met: row.met });
      for (const variant of variants.filter((v) => v.section === section && v.mode === row.mode && v.node === row.node)) {
        rows.push({
          label: `${row.where}: ${variant.variant.contender.name.replace(/^ours, /, '').replace(/, Node [\d.]+$/, '')}`,
          ratio: variant.toBare,
          met: meets(variant.toBare, section.goal),
        });
      }
    }
    const better = section.better === 'lower' ? 'lower is better' : 'higher is better';
    return { title: `${section.title} ÷ ${section.referenceName}, ${better}`, goal: section.goal, rows };
  });
}

/** A script's figures as a markdown table, or its note when there are none. */
function figureTable(result) {
  if (!result.figures) return [result.note];
  return [
    '| figure | value |',
    '|---|---|',
    ...Object.entries(result.figures).map(([name, value]) => `| ${name} | ${typeof value === 'object' ? JSON.stringify(value) : value} |`),
  ];
}

export function renderResults({ sections, memory, notify, journal, notes, info, quick, command, seconds }) {
  const out = [];
  out.push(`# sdnode benchmarks${quick ? ' (quick smoke run: too few samples to trust)' : ''}`, '');
  out.push(
    `Taken ${info.date} in ${seconds} s by \`${command ?? `pnpm bench${quick ? ' --quick' : ''}`}\`: Node ${info.node}, ${info.cpu}, ` +
      `nproc ${info.nproc}, ${info.kernel}, ${info.launcher}. Loopback (127.0.0.1) only.`,
    '',
  );
  out.push(
    'Contenders run interleaved (one sample of each per round, ABCABC…); the first round is a warm-up and is ' +
      'dropped. Values are medians with the interquartile range (p25–p75); ratios are computed per round, then ' +
      'summarized the same way. "ours" is each daemon\'s `dist/main.js` run by `systemd-socket-activate` as the launch ' +
      'scripts run it; "bare Node" does the same job on the raw fds without the library ' +
      '(`bench/contenders/bare-*.cjs`, CommonJS: its fastest form); "C" is `bench/contenders/*.c` built with `gcc -O2`. ' +
      'P1 and P2 also run ours, bare Node and the variants on a second Node (rows "Node N") in the same rounds, each ' +
      'divided by bare Node on its own Node.',
    '',
  );
  out.push('## Summary', '', summaryTable(sections), '', '![ratios](chart.svg)', '');
  const variants = variantsTable(sections);
  if (variants) {
    out.push(
      '## Variants of ours',
      '',
      '"native part off": `SDNODE_NO_NATIVE=1`, the library without its native binary (it then reads the socket tables in ' +
        '/proc/self/net instead, a cost that grows with the sockets open on the host). "ours before" (with `--before DIR`): ' +
        'the daemons of another built checkout, in the same rounds as ours. "compile cache" (Node 22.1 and later): ' +
        '`NODE_COMPILE_CACHE` set to a directory kept across starts, as a unit with `CacheDirectory=` can give it; the warm-up round fills it.',
      '',
      variants,
      '',
      ...verdicts(sections).map((line) => `- ${line}`),
      '',
    );
  }
  out.push('## Settled variants (no longer measured)', '', ...SETTLED_VARIANTS.map((line) => `- ${line}`), '');
  for (const section of sections) out.push(`## ${section.title}`, '', detailTable(section), '');
  // A partial run (--only) may leave out P5, P4 and P6.
  if (memory?.modes.length) {
    out.push('## Idle cost', '');
    for (const { mode, results } of memory.modes) {
      const ours = results.find((result) => result.contender.role === 'ours');
      out.push(`- ${mode.title}: ${ours?.idle ?? 'not measured'}`);
    }
    out.push('');
  }
  if (notify) out.push('## P4 notify and native load (bench/measure/activation.mjs)', '', ...figureTable(notify));
  // Runs from before the journal benchmark have no figures for it.
  if (journal) out.push('', '## P6 journal log call against console.error (bench/measure/journal.mjs)', '', ...figureTable(journal));
  const allNotes = [...notes, ...failureNotes(sections).map((failure) => `failed sample: ${failure}`)];
  if (allNotes.length) out.push('', '## Notes', '', ...allNotes.map((note) => `- ${note}`));
  out.push('');
  return out.join('\n');
}

const CLEAR_DIFFERENCE = 0.03;

/** Per variant and measurement: does it beat ours by more than 3 % in every mode, lose, or neither? */
function verdicts(sections) {
  const byKey = new Map();
  for (const row of variantRows(sections)) {
    if (!row.toOurs) continue;
    const key = `${row.variant.contender.name}|${row.section.title}`;
    if (!byKey.has(key)) byKey.set(key, { row, gains: [] });
    // A gain > 1 means better than ours whichever way the figure runs.
    byKey.get(key).gains.push(row.section.better === 'lower' ? 1 / row.toOurs.median : row.toOurs.median);
  }
  return [...byKey.values()].map(({ row, gains }) => {
    const verdict = gains.every((gain) => gain > 1 + CLEAR_DIFFERENCE)
      ? 'helps'
      : gains.every((gain) => gain < 1 - CLEAR_DIFFERENCE)
        ? 'hurts'
        : 'no clear difference';
    const list = gains.map((gain) => `${gain >= 1 ? '+' : '−'}${Math.abs((gain - 1) * 100).toFixed(0)} %`).join(', ');
    return `${row.variant.contender.name}, ${row.section.title}: ${verdict} (${list} per mode; + is better than ours)`;
  });
}
