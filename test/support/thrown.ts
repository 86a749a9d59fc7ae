import { expect } from 'vitest';
import { SystemdError } from '../../packages/activation/src/errors.js';

/** The SystemdError a call throws (fails the test when it throws something else, or nothing). */
export function thrown(call: () => unknown): SystemdError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(SystemdError);
    return error as SystemdError;
  }
  throw new Error('expected a SystemdError, nothing was thrown');
}
