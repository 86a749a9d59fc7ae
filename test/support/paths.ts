import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ACTIVATION_ROOT = path.join(REPO_ROOT, 'packages/activation');
/** Fixtures and daemons run as plain Node programs against the built package. */
export const libraryEntry = path.join(ACTIVATION_ROOT, 'dist/index.js');

export function assertBuilt(): void {
  if (!fs.existsSync(libraryEntry)) {
    throw new Error(`${libraryEntry} is missing: build first (pnpm --filter @sdnode/activation run build)`);
  }
}

/** A test program of a package: packages/<pkg>/test/fixtures/<name>. */
export const fixture = (pkg: 'activation' | 'cli', name: string): string => path.join(REPO_ROOT, 'packages', pkg, 'test/fixtures', name);

export type Mode = 'socket-service' | 'socket-service-accepted' | 'socket-service-inet';

/** A daemon's built entry point, for running it without any launcher. */
export function daemonMain(mode: Mode): string {
  return path.join(REPO_ROOT, 'packages', mode, 'dist', 'main.js');
}

/** A unique temporary directory for unix socket paths. */
export function tempDir(): string {
  return fs.mkdtempSync('/tmp/sdnode-test-');
}

export const isRoot = process.getuid?.() === 0;
