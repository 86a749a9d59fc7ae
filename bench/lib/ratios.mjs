// Ratios between contenders measured in the same rounds: one ratio per round
// (samples at the same index ran back to back), summarized like any sample.
import { summarize } from './stats.mjs';

export function pairedRatio(result, reference) {
  if (!result?.summary || !reference?.summary) return undefined;
  const n = Math.min(result.samples.length, reference.samples.length);
  const ratios = [];
  for (let i = 0; i < n; i++) ratios.push(result.samples[i] / reference.samples[i]);
  return ratios.length ? summarize(ratios) : undefined;
}

/** Whether a ratio meets its goal: { max } for costs, { min } for rates. */
export function meets(ratio, goal) {
  if (!ratio || !goal) return undefined;
  if (goal.max !== undefined) return ratio.median <= goal.max;
  return ratio.median >= goal.min;
}

export function goalText(goal) {
  if (!goal) return '';
  return goal.max !== undefined ? `≤ ${goal.max}` : `≥ ${goal.min}`;
}
