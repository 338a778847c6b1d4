import { describe, expect, it } from 'vitest';
import { sendGroups } from './transactions.js';

const msg = (bytes: number, key: string | null = null) => ({ key, value: Buffer.alloc(bytes) });

describe('send groups (one record batch per partition and send)', () => {
  it.each([
    ['all in one', [10, 10, 10], 100, [3]],
    ['split before the group would pass the bound', [40, 40, 40], 100, [2, 1]],
    ['exactly at the bound', [50, 50, 50], 100, [2, 1]],
    ['a message over the bound goes alone', [10, 200, 10], 100, [1, 1, 1]],
    ['nothing, no group', [], 100, []],
  ] as const)('%s', (_, sizes, max, expected) => {
    const groups = sendGroups(
      sizes.map((n) => msg(n)),
      max,
    );
    expect(groups.map((g) => g.length)).toEqual(expected);
    expect(groups.flat().map((m) => (m.value as Buffer).length)).toEqual(sizes);
  });

  it('keys count', () => {
    expect(sendGroups([msg(45, 'abcdefghij'), msg(45, 'abcdefghij')], 100).map((g) => g.length)).toEqual([1, 1]);
  });
});
