/** The longest name systemd takes for an fd (FDNAME_MAX). */
export const FDNAME_MAX = 255;

/**
 * systemd's rule for an fd's name (fdname_is_valid(): FileDescriptorName=, FDNAME=, LISTEN_FDNAMES):
 * printable ASCII, the space included, but no ':', which separates the names in LISTEN_FDNAMES; at
 * most 255 characters. systemd also takes an empty name; this library asks for at least one character,
 * since an empty one cannot be told from a missing one.
 */
export function isFdName(name: unknown): name is string {
  return typeof name === 'string' && name.length >= 1 && name.length <= FDNAME_MAX && /^[\x20-\x39\x3b-\x7e]*$/.test(name);
}

/** What isFdName() accepts, for error messages. */
export const FDNAME_EXPECTED = `1 to ${FDNAME_MAX} printable ASCII characters (spaces too) without ":"`;
