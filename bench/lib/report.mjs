// The markdown tables: one summary (ours against the reference, with the goal), the
// variants of ours, and every contender in detail.
import { goalText, meets, pairedRatio } from './ratios.mjs';
import { format, formatSummary } from './stats.mjs';

const MARK = { true: '✅', false: '❌', undefined: '' };

/** Rows shared by the table and the chart. */
export function summaryRows(sections) {
  const rows = [];
  for (const section of sections) {
    for (const { mode, results } of section.modes) {
      const ours = find(results, 'ours');
      const reference = find(results, section.reference);
      const ratio = pairedRatio(ours, reference);
      rows.push({ section, mode, ours, reference, ratio, met: meets(ratio, section.goal), label: `${section.short}, ${mode.short}` });
    }
  }
  return rows;
}

export function variantRows(sections) {
  const rows = [];
  for (const section of sections.filter((s) => s.variants)) {
    for (const { mode, results } of section.modes) {
      const bare = find(results, 'bare');
      const ours = find(results, 'ours');
      for (const variant of results.filter((r) => r.contender.role === 'variant')) {
        rows.push({
          section,
          mode,
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
    const { section, mode, ours, reference, ratio } = row;
    lines.push(
      `| ${section.title} | ${mode.short} | ${value(ours, section)} | ${reference?.contender.name ?? ''}: ${value(reference, section)} | ` +
        `${ratio ? formatSummary(ratio, 3) : 'n/a'} | ${goalText(section.goal)} | ${MARK[row.met]} |`,
    );
  }
  return lines.join('\n');
}

export function variantsTable(sections) {
  const rows = variantRows(sections);
  if (rows.length === 0) return '';
  const lines = ['| measurement | mode | variant of ours | value | ÷ bare Node | ÷ ours |', '|---|---|---|---:|---:|---:|'];
  for (const { section, mode, variant, toBare, toOurs } of rows) {
    lines.push(
      `| ${section.title} | ${mode.short} | ${variant.contender.name} | ${value(variant, section)} | ` +
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
    const reference = find(results, section.reference);
    for (const result of results) {
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

function find(results, role) {
  return results.find((result) => result.contender.role === role);
}
