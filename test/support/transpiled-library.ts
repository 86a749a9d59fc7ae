import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ACTIVATION_ROOT as packageRoot } from './paths.js';

/**
 * A plain-JS copy of some library modules and of the modules they import
 * (src/<name>.ts → <dir>/src/<name>.js, <name> a path such as 'notify/notify', prebuilds linked in) that a child `node`
 * process can import. Returns <dir>; the caller removes it.
 */
export function transpiledLibrary(modules: string[]): string {
  // Loaded here, not at import: most test files import this module and never need the compiler.
  const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
  const dir = mkdtempSync(path.join(tmpdir(), 'sdnode-child-'));
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
  symlinkSync(path.join(packageRoot, 'prebuilds'), path.join(dir, 'prebuilds'));
  const queue = [...modules];
  const done = new Set<string>();
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (done.has(name)) continue;
    done.add(name);
    const source = readFileSync(path.join(packageRoot, 'src', `${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const out = path.join(dir, 'src', `${name}.js`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, outputText);
    for (const [, imported] of outputText.matchAll(/from '(\.\.?\/[\w/.-]+)\.js'/g)) {
      queue.push(path.posix.join(path.posix.dirname(name), imported!));
    }
  }
  return dir;
}
