/**
 * The one error type the library throws for bad input and failed system calls.
 * `code` is an errno name (`EINVAL`, `EBADF`, `ENOENT`, …) so callers can branch
 * on it the way they would for a Node system error; `variable` and `value` say
 * which environment variable or argument was wrong and what it held.
 */
export class SystemdError extends Error {
  readonly code: string;
  readonly variable: string | undefined;
  readonly value: string | undefined;

  constructor(message: string, code: string, details: { variable?: string; value?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SystemdError';
    this.code = code;
    this.variable = details.variable;
    this.value = details.value;
  }
}

/** An error about an environment variable or argument: names it, shows the value, says what was expected. */
export function invalid(variable: string, value: unknown, expected: string, code = 'EINVAL'): SystemdError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new SystemdError(`${variable}=${shown}: expected ${expected}`, code, { variable, value: String(value) });
}
