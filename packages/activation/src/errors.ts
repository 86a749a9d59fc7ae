/** Marks a SystemdError from any copy of the library loaded in this process (ESM and CommonJS, two versions). */
const BRAND = Symbol.for('@sdnode/activation.SystemdError');

/**
 * The one error type the library throws for bad input and failed system calls.
 * `code` is an errno name (`EINVAL`, `EBADF`, `ENOENT`, …) so callers can branch on it the way they
 * would for a Node system error; `subject` and `value` say what was wrong (an environment variable,
 * an argument or option, an fd, a notification key) and what it held.
 *
 * `instanceof SystemdError` is true for errors thrown by another copy of the library in the same
 * process too: an application and a plugin may load it once as ESM and once as CommonJS.
 */
export class SystemdError extends Error {
  readonly code: string;
  readonly subject: string | undefined;
  readonly value: string | undefined;

  constructor(message: string, code: string, details: { subject?: string; value?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SystemdError';
    this.code = code;
    this.subject = details.subject;
    this.value = details.value;
  }

  static override [Symbol.hasInstance](value: unknown): value is SystemdError {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }
}
Object.defineProperty(SystemdError.prototype, BRAND, { value: true });

/** An error about an environment variable or argument: names it, shows the value, says what was expected. */
export function invalid(subject: string, value: unknown, expected: string, code = 'EINVAL'): SystemdError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new SystemdError(`${subject}=${shown}: expected ${expected}`, code, { subject, value: String(value) });
}
