import { invalid } from './errors.js';

// systemd's notify messages and journald's native entries are both made of KEY=VALUE fields, and
// write a number, a bigint or a boolean alike, here. Their strings follow different rules and stay
// with each protocol: a notification is lines, so a line break would start another field and notify
// refuses it; a journal value may hold anything, one with a line break is sent length-prefixed.

/**
 * The text of a number (decimal), bigint (decimal) or boolean (1 or 0, what systemd's
 * parse_boolean() reads) field; undefined for a value of any other type, which the caller's
 * protocol decides about. `numbers` is which numbers the field takes: 'integer' (safe integers) or
 * 'finite'. Throws a SystemdError (EINVAL) naming `name` for another number.
 */
export function scalarText(name: string, value: unknown, numbers: 'integer' | 'finite'): string | undefined {
  switch (typeof value) {
    case 'number':
      if (numbers === 'integer' && !Number.isSafeInteger(value)) throw invalid(name, value, 'an integer');
      if (!Number.isFinite(value)) throw invalid(name, value, 'a finite number');
      return String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? '1' : '0';
    default:
      return undefined;
  }
}
