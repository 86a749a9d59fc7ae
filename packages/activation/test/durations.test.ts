import { describe, expect, it } from 'vitest';
import { checkDelay, durationUsec } from '../src/durations.js';
import { SystemdError } from '../src/errors.js';
import { MAX_TIMER_MS, USEC_INFINITY } from '../src/limits.js';

describe('checkDelay', () => {
  it('passes a delay a Node timer keeps, and an option left out', () => {
    expect(checkDelay('waitMs', 1)).toBe(1);
    expect(checkDelay('waitMs', 2.5)).toBe(2.5);
    expect(checkDelay('waitMs', MAX_TIMER_MS)).toBe(2 ** 31 - 1);
    expect(checkDelay('waitMs', 0, { min: 0 })).toBe(0);
    expect(checkDelay('waitMs', undefined)).toBeUndefined();
  });

  it('refuses what a timer would turn into 1 ms, naming the option, the value and the range', () => {
    const cases: [unknown, { min?: number }, string][] = [
      [2 ** 31, {}, 'waitMs=2147483648: expected a number of milliseconds from 1 to 2147483647'],
      [0, {}, 'waitMs=0: expected a number of milliseconds from 1 to 2147483647'],
      [-1, { min: 0 }, 'waitMs=-1: expected a number of milliseconds from 0 to 2147483647'],
      [Number.NaN, {}, 'waitMs=NaN: expected a number of milliseconds from 1 to 2147483647'],
      [Number.POSITIVE_INFINITY, {}, 'waitMs=Infinity: expected a number of milliseconds from 1 to 2147483647'],
      ['5000', {}, 'waitMs="5000": expected a number of milliseconds from 1 to 2147483647'],
    ];
    for (const [value, options, message] of cases) {
      const call = (): unknown => checkDelay('waitMs', value as number, options);
      expect(call).toThrow(SystemdError);
      expect(call).toThrow(expect.objectContaining({ code: 'EINVAL', subject: 'waitMs', message }));
    }
  });
});

describe('durationUsec', () => {
  it('is milliseconds as a number, microseconds as a bigint', () => {
    expect(durationUsec('timeout', 1500)).toBe(1_500_000n);
    expect(durationUsec('timeout', 0.001)).toBe(1n);
    expect(durationUsec('timeout', 7n)).toBe(7n);
  });

  it('refuses zero, negatives and systemd infinity, naming the argument', () => {
    for (const value of [0, -1, 0.0001, Number.NaN, 0n, USEC_INFINITY]) {
      expect(() => durationUsec('timeout', value)).toThrow(expect.objectContaining({ code: 'EINVAL', subject: 'timeout' }));
    }
  });
});
