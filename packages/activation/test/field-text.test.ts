import { describe, expect, it } from 'vitest';
import { scalarText } from '../src/field-text.js';

describe('scalarText', () => {
  it('writes numbers and bigints in decimal, booleans as 1 and 0, for notify and the journal alike', () => {
    for (const numbers of ['integer', 'finite'] as const) {
      expect([scalarText('F', 42, numbers), scalarText('F', 2n ** 64n, numbers)]).toEqual(['42', '18446744073709551616']);
      expect([scalarText('F', true, numbers), scalarText('F', false, numbers)]).toEqual(['1', '0']);
    }
    expect(scalarText('F', 1.5, 'finite')).toBe('1.5');
  });

  it("leaves another type to the caller's protocol", () => {
    for (const value of ['text', new Uint8Array(1), {}, null, undefined]) expect(scalarText('F', value, 'finite')).toBeUndefined();
  });

  it('refuses a number the field does not take, naming the field', () => {
    expect(() => scalarText('MAINPID', 1.5, 'integer')).toThrow(/^MAINPID=1\.5: expected an integer$/);
    expect(() => scalarText('COUNT', Number.NaN, 'finite')).toThrow(/^COUNT=NaN: expected a finite number$/);
    expect(() => scalarText('COUNT', Number.POSITIVE_INFINITY, 'finite')).toThrow(
      expect.objectContaining({ code: 'EINVAL', subject: 'COUNT' }),
    );
  });
});
