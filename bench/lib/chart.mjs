// A dependency-free SVG bar chart of the ratios, in groups (one per measurement):
// a bar per row, a dashed line at 1.0 (same as the reference), the goal as a red tick.
import { goalText } from './ratios.mjs';

const ROW = 22;
const HEADER = 26;
const LABEL_WIDTH = 280;
const BAR_WIDTH = 380;
const TOP = 50;
const COLORS = { met: '#2e8b57', missed: '#d2691e', neutral: '#4682b4' };

/**
 * groups: { title, goal?, rows: { label, ratio (summary of per-round ratios), met? }[] }[]
 */
export function chart(groups, { title, subtitle }) {
  const drawn = groups.map((group) => ({ ...group, rows: group.rows.filter((row) => row.ratio) })).filter((g) => g.rows.length);
  const all = drawn.flatMap((group) => group.rows);
  const scaleMax = Math.ceil(Math.max(1.2, ...all.map((row) => Math.min(row.ratio.p75, 3))) * 5) / 5;
  const x = (ratio) => LABEL_WIDTH + (Math.min(ratio, scaleMax) / scaleMax) * BAR_WIDTH;
  const bottom = TOP + drawn.reduce((height, group) => height + HEADER + group.rows.length * ROW, 0);
  const width = LABEL_WIDTH + BAR_WIDTH + 70;
  const height = bottom + 44;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="10" y="37" fill="#555">${escapeXml(subtitle)}</text>`,
  ];
  const one = x(1).toFixed(1);
  let y = TOP;
  for (const group of drawn) {
    parts.push(
      `<text x="10" y="${y + 17}" font-weight="bold">${escapeXml(group.title)}${group.goal ? ` (goal ${goalText(group.goal)})` : ''}</text>`,
    );
    y += HEADER;
    const groupTop = y;
    for (const row of group.rows) {
      const color = row.met === undefined ? COLORS.neutral : row.met ? COLORS.met : COLORS.missed;
      const end = x(row.ratio.median);
      const goal = group.goal ? x(group.goal.max ?? group.goal.min) : LABEL_WIDTH;
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 15}" text-anchor="end">${escapeXml(row.label)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y + 4}" width="${Math.max(1, end - LABEL_WIDTH).toFixed(1)}" height="${ROW - 8}" fill="${color}"/>`,
        // The interquartile range of the per-round ratios.
        `<line x1="${x(row.ratio.p25).toFixed(1)}" x2="${x(row.ratio.p75).toFixed(1)}" y1="${y + ROW / 2}" y2="${y + ROW / 2}" stroke="#222"/>`,
        `<text x="${(Math.max(end, x(row.ratio.p75), goal) + 6).toFixed(1)}" y="${y + 15}">${row.ratio.median.toFixed(2)}</text>`,
      );
      if (group.goal) {
        parts.push(
          `<line x1="${goal.toFixed(1)}" x2="${goal.toFixed(1)}" y1="${y + 1}" y2="${y + ROW - 1}" stroke="#c00" stroke-width="2"/>`,
        );
      }
      y += ROW;
    }
    parts.push(`<line x1="${one}" x2="${one}" y1="${groupTop}" y2="${y}" stroke="#000" stroke-dasharray="4 3"/>`);
  }
  parts.push(
    `<text x="${LABEL_WIDTH}" y="${bottom + 18}" text-anchor="middle">0</text>`,
    `<text x="${one}" y="${bottom + 18}" text-anchor="middle">1.0</text>`,
    `<text x="${LABEL_WIDTH + BAR_WIDTH}" y="${bottom + 18}" text-anchor="middle">${scaleMax.toFixed(1)}</text>`,
    `<text x="10" y="${bottom + 36}" fill="#555">bar: median of the per-round ratios; black line: p25–p75; red tick: goal; green: goal met</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

function escapeXml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}
