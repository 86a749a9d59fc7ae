// Summaries of repeated measurements: median and interquartile range.

export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export function summarize(values) {
  return {
    n: values.length,
    median: quantile(values, 0.5),
    p25: quantile(values, 0.25),
    p75: quantile(values, 0.75),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

export function format(value, digits = 1) {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toFixed(digits);
}

/** "12.3 (11.9–12.8)": median with the interquartile range. */
export function formatSummary(summary, digits = 1) {
  if (!summary || summary.n === 0) return 'n/a';
  return `${format(summary.median, digits)} (${format(summary.p25, digits)}–${format(summary.p75, digits)})`;
}

/** The middle sample (the upper one of an even count), as the measure scripts report it. */
export function median(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}
