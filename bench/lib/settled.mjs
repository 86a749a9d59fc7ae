// Start-up variants of ours that earlier runs settled, with the figure that settled each
// (pnpm bench of 2026-11-22, Node 20.20, 2 cores; ÷ ours, median over the three modes' medians
// unless said). They are no longer built or measured; results.md lists them so the answer stays.
export const SETTLED_VARIANTS = [
  'ours bundled as one ESM file (esbuild): hurts — P1 cold activation 1.11–1.18× ours, P2 0.82–0.88×, P5 +4 % RSS',
  'ours minified (esbuild): no clear difference — P1 1.00–1.04× ours, P2 0.94–0.98×',
  'ours in a V8 startup snapshot (`node --snapshot-blob`): hurts — P1 1.05–1.07× ours, P2 0.93–0.97×, P5 +3 % RSS',
  'ours with everything off the cold path stubbed out (journal logger, notify delivery and reload, the systemd-notify and /proc fallbacks; 2026-12-04), the most that lazy loading or split entry points could save: no clear difference — P1 0.96–0.98× ours on Node 20, 0.97–1.03× on Node 26, with bundles of 39/23/14 KB instead of 56/31/22 KB (V8 compiles the 56 KB one in 1.7 ms, the 27 KB one of 86c2fb3 in 0.8 ms)',
  'bare Node written as an ES module instead of CommonJS: P1 0.99–1.06× ours, 1.12–1.24× the CommonJS form — the reason the reference is CommonJS',
];
