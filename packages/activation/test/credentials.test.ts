import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { credential, credentials } from '../src/credentials.js';
import { thrown } from '../../../test/support/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sdnode-creds-'));
const env = { CREDENTIALS_DIRECTORY: dir };
const BINARY = Buffer.from([0, 1, 2, 0xff, 0x0a, 0xfe]);
writeFileSync(path.join(dir, 'password'), 'hunter2\n');
writeFileSync(path.join(dir, 'key.bin'), BINARY);
writeFileSync(path.join(dir, 'a..b'), 'dots inside a name are fine');
mkdirSync(path.join(dir, 'not-a-credential'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('credentials()', () => {
  it('lists the files in CREDENTIALS_DIRECTORY, sorted, directories left out', () => {
    expect(credentials(env)).toEqual(['a..b', 'key.bin', 'password']);
  });

  it('reads process.env by default', () => {
    const saved = process.env.CREDENTIALS_DIRECTORY;
    process.env.CREDENTIALS_DIRECTORY = dir;
    try {
      expect(credentials()).toContain('password');
      expect(credential('password')).toBe('hunter2\n');
    } finally {
      if (saved === undefined) delete process.env.CREDENTIALS_DIRECTORY;
      else process.env.CREDENTIALS_DIRECTORY = saved;
    }
  });

  it('without CREDENTIALS_DIRECTORY: ENXIO saying the unit passes none', () => {
    const error = thrown(() => credentials({}));
    expect(error.code).toBe('ENXIO');
    expect(error.subject).toBe('CREDENTIALS_DIRECTORY');
    expect(error.message).toMatch(/not set.*LoadCredential=/);
    expect(thrown(() => credential('password', { env: {} })).code).toBe('ENXIO');
  });

  it('a relative CREDENTIALS_DIRECTORY is refused', () => {
    const error = thrown(() => credentials({ CREDENTIALS_DIRECTORY: 'creds' }));
    expect([error.code, error.message]).toEqual(['EINVAL', 'CREDENTIALS_DIRECTORY="creds": expected an absolute directory path']);
  });

  it('a directory that is gone: its errno', () => {
    expect(thrown(() => credentials({ CREDENTIALS_DIRECTORY: path.join(dir, 'missing') })).code).toBe('ENOENT');
  });
});

describe('credential(name)', () => {
  it('a string by default, exact bytes (no trimming)', () => {
    expect(credential('password', { env })).toBe('hunter2\n');
  });

  it('a Buffer with { encoding: null }, another encoding on request', () => {
    const bytes = credential('key.bin', { env, encoding: null });
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.equals(BINARY)).toBe(true);
    expect(credential('key.bin', { env, encoding: 'hex' })).toBe('000102ff0afe');
    expect(credential('a..b', { env })).toBe('dots inside a name are fine');
  });

  it('no such credential: ENOENT listing those that exist', () => {
    const error = thrown(() => credential('token', { env }));
    expect(error.code).toBe('ENOENT');
    expect(error.message).toBe(`no credential "token" in CREDENTIALS_DIRECTORY=${dir} (present: "a..b", "key.bin", "password")`);
  });

  it.each(['', '.', '..', '../etc/passwd', 'a/b', '/etc/passwd', 'nul\0byte', 'x'.repeat(256)])('refuses the name %j', (name) => {
    const error = thrown(() => credential(name, { env }));
    expect(error.code).toBe('EINVAL');
    expect(error.subject).toBe('credential name');
    expect(error.message).toMatch(/expected a file name \(not empty, "\.", "\.\." and without "\/"\)/);
  });

  it('a name is checked before the environment', () => {
    expect(thrown(() => credential('../x', { env: {} })).code).toBe('EINVAL');
  });

  it('a credential that cannot be read: its errno, not ENOENT', () => {
    const link = path.join(dir, 'loop');
    symlinkSync(link, link);
    try {
      expect(thrown(() => credential('loop', { env })).code).toBe('ELOOP');
    } finally {
      rmSync(link);
    }
  });
});
