// The markdown tables: one summary (ours against the reference, with the goal), the
// variants of ours, and every contender in detail.
import { goalText, meets, pairedRatio } from './ratios.mjs';
import { format, formatSummary } from './stats.mjs';

const MARK = { true: '✅', false: '❌', undefined: '' };

/** Rows shared by the table and the chart: one per mode and Node (the machine's, then a second one's). */
export function summaryRows(sections) {
  const rows = [];
  for (const section of sections) {
    for (const { mode, results } of section.modes) {
      for (const node of nodesOf(results)) {
        const ours = find(results, 'ours', node);
        // A reference that runs on no particular Node (P7's launcher) is every Node's reference.
        const reference = find(results, section.reference, node) ?? find(results, section.reference);
        const ratio = pairedRatio(ours, reference);
        const where = whereRun(mode, node);
        rows.push({
          section,
          mode,
          node,
          where,
          ours,
          reference,
          ratio,
          met: meets(ratio, section.goal),
          label: `${section.short}, ${where}`,
        });
      }
    }
  }
  return rows;
}

export function variantRows(sections) {
  const rows = [];
  for (const section of sections.filter((s) => s.variants)) {
    for (const { mode, results } of section.modes) {
      for (const variant of results.filter((r) => r.contender.role === 'variant')) {
        const { node } = variant.contender;
        const bare = find(results, 'bare', node);
        const ours = find(results, 'ours', node);
        rows.push({
          section,
          mode,
          node,
          where: whereRun(mode, node),
          variant,
          toBare: pairedRatio(variant, bare),
          toOurs: pairedRatio(variant, ours),
          label: `${section.short}, ${mode.short}: ${variant.contender.name}`,
        });
      }
    }
  }
  return rows;
}

export function summaryTable(sections) {
  const lines = ['| measurement | mode | ours | reference | ours ÷ reference (p25–p75) | goal | |', '|---|---|---:|---:|---:|---:|---|'];
  for (const row of summaryRows(sections)) {
    const { section, where, ours, reference, ratio } = row;
    lines.push(
      `| ${section.title} | ${where} | ${value(ours, section)} | ${reference?.contender.name ?? ''}: ${value(reference, section)} | ` +
        `${ratio ? formatSummary(ratio, 3) : 'n/a'} | ${goalText(section.goal)} | ${MARK[row.met]} |`,
    );
  }
  return lines.join('\n');
}

export function variantsTable(sections) {
  const rows = variantRows(sections);
  if (rows.length === 0) return '';
  const lines = ['| measurement | mode | variant of ours | value | ÷ bare Node | ÷ ours |', '|---|---|---|---:|---:|---:|'];
  for (const { section, where, variant, toBare, toOurs } of rows) {
    lines.push(
      `| ${section.title} | ${where} | ${variant.contender.name} | ${value(variant, section)} | ` +
        `${toBare ? formatSummary(toBare, 3) : 'n/a'} | ${toOurs ? formatSummary(toOurs, 3) : 'n/a'} |`,
    );
  }
  return lines.join('\n');
}

export function detailTable(section) {
  const lines = [
    `| mode | contender | ${section.unit}, median (p25–p75) | samples | ÷ ${section.referenceName} |`,
    '|---|---|---:|---:|---:|',
  ];
  for (const { mode, results } of section.modes) {
    for (const result of results) {
      const reference = find(results, section.reference, result.contender.node) ?? find(results, section.reference);
      const ratio = result === reference ? undefined : pairedRatio(result, reference);
      lines.push(
        `| ${mode.short} | ${result.contender.name} | ${value(result, section)} | ${samples(result)} | ` +
          `${ratio ? format(ratio.median, 3) : ''} |`,
      );
    }
  }
  return lines.join('\n');
}

function samples(result) {
  return result.failures.length ? `${result.samples.length} (${result.failures.length} failed)` : String(result.samples.length);
}

/** Every failed sample, with its reason: a failure is a finding, not noise. */
export function failureNotes(sections) {
  const notes = [];
  for (const section of sections) {
    for (const { mode, results } of section.modes) {
      for (const result of results) {
        for (const failure of result.failures) notes.push(`${section.short}, ${mode.short}, ${result.contender.name}: ${failure}`);
      }
    }
  }
  return notes;
}

function value(result, section) {
  if (!result) return 'n/a';
  if (result.error) return `failed: ${result.error.replaceAll('|', '\\|')}`;
  return formatSummary(result.summary, section.digits);
}

/** The contender of that role on that Node (undefined: the machine's). */
function find(results, role, node) {
  return results.find((result) => result.contender.role === role && result.contender.node === node);
}

/** The Nodes the results ran on, the machine's (undefined) first. */
function nodesOf(results) {
  return [...new Set(results.map((result) => result.contender.node))];
}

function whereRun(mode, node) {
  return node === undefined ? mode.short : `${mode.short}, Node ${node}`;
}
