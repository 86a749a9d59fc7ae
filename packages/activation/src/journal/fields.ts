import { invalid } from '../errors.js';
import { scalarText } from '../field-text.js';

/** A journal field's value: text, a number, or bytes (sent as they are). `undefined` leaves the field out. */
export type JournalValue = string | number | bigint | boolean | Uint8Array | undefined;
export type JournalFields = Record<string, JournalValue>;

// journald's rule (journal_field_valid): upper-case letters, digits and _, not first a digit, at
// most 64 bytes. A leading _ marks the fields journald itself vouches for: it drops them from clients.
const FIELD_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
// Below these, `KEY=value\n` reads unambiguously; anything else goes length-prefixed.
const NEEDS_LENGTH = /[\n\0]/;

/** Throws a SystemdError (EINVAL) unless `name` is a field name a client may send. */
export function checkFieldName(name: string): string {
  if (!FIELD_NAME.test(name)) {
    throw invalid('journal field', name, 'upper-case letters, digits and _, starting with a letter, at most 64 characters');
  }
  return name;
}

function valueBytes(name: string, value: Exclude<JournalValue, undefined>): Buffer | string {
  // Any string: encodeEntry sends one with a line break length-prefixed (notify, which has no such
  // form, refuses it). Any finite number: a journal field is text to its reader, 1.5 as well.
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const text = scalarText(name, value, 'finite');
  if (text === undefined) throw invalid(name, value, 'a string, number, bigint, boolean or Uint8Array');
  return text;
}

/**
 * One entry in journald's native protocol: `NAME=value\n` for plain text; for a value with a
 * line break, a NUL, or bytes, `NAME\n`, its length as 64-bit little-endian, the bytes and `\n`.
 * The names are the caller's to check (checkFieldName); throws a SystemdError (EINVAL) for a value
 * of another type or a number that is not finite.
 */
export function encodeEntry(fields: [string, JournalValue][]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    if (value === undefined) continue;
    const bytes = valueBytes(name, value);
    if (typeof bytes === 'string' && !NEEDS_LENGTH.test(bytes)) {
      parts.push(Buffer.from(`${name}=${bytes}\n`));
      continue;
    }
    const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    const header = Buffer.alloc(name.length + 9);
    header.write(name, 0, 'latin1');
    header[name.length] = 0x0a;
    header.writeBigUInt64LE(BigInt(data.length), name.length + 1);
    parts.push(header, data, NEWLINE);
  }
  return Buffer.concat(parts);
}

const NEWLINE = Buffer.from('\n');
