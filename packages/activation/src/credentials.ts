import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { SystemdError, invalid } from './errors.js';

export interface CredentialOptions {
  /** `null` returns the bytes as a Buffer; default 'utf8' (a string). */
  encoding?: BufferEncoding | null;
  /** Where CREDENTIALS_DIRECTORY is read from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

// systemd's credential_name_valid(): a valid file name of at most 255 bytes.
const MAX_NAME_BYTES = 255;

/** CREDENTIALS_DIRECTORY from `env`, checked; throws ENXIO when unset (the unit passes no credentials). */
function credentialsDirectory(env: NodeJS.ProcessEnv): string {
  const dir = env.CREDENTIALS_DIRECTORY;
  if (dir === undefined || dir === '') {
    throw new SystemdError(
      'CREDENTIALS_DIRECTORY is not set: this process runs without credentials (the unit needs LoadCredential=, ' +
        'SetCredential= or LoadCredentialEncrypted=)',
      'ENXIO',
      { subject: 'CREDENTIALS_DIRECTORY' },
    );
  }
  if (!isAbsolute(dir)) throw invalid('CREDENTIALS_DIRECTORY', dir, 'an absolute directory path');
  return dir;
}

function checkName(name: string): string {
  if (
    typeof name !== 'string' ||
    name === '' ||
    name === '.' ||
    name === '..' ||
    /[/\0]/.test(name) ||
    Buffer.byteLength(name) > MAX_NAME_BYTES
  ) {
    throw invalid('credential name', name, `a file name (not empty, ".", ".." and without "/"), at most ${MAX_NAME_BYTES} bytes`);
  }
  return name;
}

function readError(dir: string, error: unknown): SystemdError {
  const e = error as NodeJS.ErrnoException;
  return new SystemdError(`CREDENTIALS_DIRECTORY=${dir}: ${e.message}`, e.code ?? 'EIO', {
    subject: 'CREDENTIALS_DIRECTORY',
    value: dir,
    cause: error,
  });
}

/**
 * The names of the credentials systemd passed (the files in $CREDENTIALS_DIRECTORY), sorted.
 * Throws a SystemdError: ENXIO when CREDENTIALS_DIRECTORY is unset, EINVAL when it is not an
 * absolute path, the errno of the failed read otherwise.
 */
export function credentials(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = credentialsDirectory(env);
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    throw readError(dir, error);
  }
}

/**
 * One credential's content (LoadCredential=, SetCredential=, LoadCredentialEncrypted= — systemd
 * has decrypted it already): a string (utf8 by default), or the bytes with `{ encoding: null }`.
 * Throws a SystemdError: EINVAL for a name that is not a plain file name; ENXIO when
 * CREDENTIALS_DIRECTORY is unset; ENOENT when there is no such credential (the message lists
 * those that exist); the errno of the failed read otherwise.
 */
export function credential(name: string, options?: { encoding?: BufferEncoding; env?: NodeJS.ProcessEnv }): string;
export function credential(name: string, options: { encoding: null; env?: NodeJS.ProcessEnv }): Buffer;
export function credential(name: string, options: CredentialOptions = {}): string | Buffer {
  checkName(name);
  const env = options.env ?? process.env;
  const dir = credentialsDirectory(env);
  const encoding = options.encoding === undefined ? 'utf8' : options.encoding;
  let content: Buffer;
  try {
    content = readFileSync(join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw readError(dir, error);
    const present = credentials(env);
    const listed = present.length === 0 ? 'none' : present.map((n) => JSON.stringify(n)).join(', ');
    throw new SystemdError(`no credential ${JSON.stringify(name)} in CREDENTIALS_DIRECTORY=${dir} (present: ${listed})`, 'ENOENT', {
      subject: 'credential name',
      value: name,
      cause: error,
    });
  }
  return encoding === null ? content : content.toString(encoding);
}
