// Run by prepack (so by `pnpm pack` and publish): refuses a package without the prebuilt binary of
// every target, which npm users would otherwise get with no native part and no word why.
//   node native/check-prebuilds.mjs [PACKAGE_DIR]   (default: this package)
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { targets } from './targets.mjs';

const packageDir = process.argv[2] ?? path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const missing = targets.filter((target) => !existsSync(path.join(packageDir, 'prebuilds', target.name, 'sdnode.node')));
if (missing.length > 0) {
  const lines = missing.map(
    (target) => `  prebuilds/${target.name}/sdnode.node: needs ${target.compilers.join(' or ')} (Debian package ${target.debian})`,
  );
  console.error(`@sdnode/activation: not packing without every prebuilt binary; missing:\n${lines.join('\n')}`);
  console.error(`Install the compilers (sudo apt-get install ${[...new Set(missing.map((t) => t.debian))].join(' ')}) and build again.`);
  process.exit(1);
}
