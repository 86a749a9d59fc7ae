// Start-up variants of ours that earlier runs settled, with the figure that settled each
// (pnpm bench of 2026-11-22, Node 20.20, 2 cores; ÷ ours, median over the three modes' medians
// unless said). They are no longer built or measured; results.md lists them so the answer stays.
export const SETTLED_VARIANTS = [
  'ours bundled as one ESM file (esbuild): hurts — P1 cold activation 1.11–1.18× ours, P2 0.82–0.88×, P5 +4 % RSS',
  'ours minified (esbuild): no clear difference — P1 1.00–1.04× ours, P2 0.94–0.98×',
  'ours in a V8 startup snapshot (`node --snapshot-blob`): hurts — P1 1.05–1.07× ours, P2 0.93–0.97×, P5 +3 % RSS',
  "Node's compile cache (`NODE_COMPILE_CACHE`): needs Node ≥ 22.1, so not measurable on the Node 20 the daemons are timed on; ours is one small CommonJS file, whose compile time measured 0.5 ms",
  'bare Node written as an ES module instead of CommonJS: P1 0.99–1.06× ours, 1.12–1.24× the CommonJS form — the reason the reference is CommonJS',
];
