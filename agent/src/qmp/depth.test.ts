import { describe, expect, it } from 'vitest';
import { loadFixture } from '#test/support/transcriptLines.js';
import { nestsDeeper, topLevel } from './depth.js';

const nested = (d: number): string => `${'['.repeat(d)}${']'.repeat(d)}`;

describe('nestsDeeper', () => {
  it.each([
    ['{}', 1, false],
    ['{}', 0, true],
    ['{"a":[1,{"b":2}]}', 3, false],
    ['{"a":[1,{"b":2}]}', 2, true],
    [nested(64), 64, false],
    [nested(65), 64, true],
    ['{"s":"[[[[[[[[[["}', 1, false], // brackets inside a string do not nest
    ['{"s":"a\\"[[[[","t":1}', 1, false], // an escaped quote does not end the string
    ['{"s":"a\\\\","t":[[[]]]}', 4, false], // an escaped backslash does: the brackets after it count
    ['{"s":"a\\\\","t":[[[]]]}', 3, true],
    ['{"s":"unterminated [[[[', 1, false],
  ])('%s within %i levels: deeper=%s', (text, max, deeper) => {
    expect(nestsDeeper(text, max)).toBe(deeper);
  });

  it('a 10,000-deep event is caught before JSON.parse; every recorded QEMU line is within 32 levels', () => {
    expect(nestsDeeper(`{"event":"X","data":{"a":${nested(10_000)}}}`, 256)).toBe(true);
    for (const name of ['kvm-vcpu-stats.jsonl', 'thin-lv-enospc-commit.jsonl']) {
      for (const l of loadFixture(name)) expect(nestsDeeper(JSON.stringify(l.msg), 32)).toBe(false);
    }
  });
});

describe('topLevel', () => {
  it.each([
    ['{"timestamp":{"seconds":1},"event":"BLOCK_IO_ERROR","data":{"event":"no"}}', { event: 'BLOCK_IO_ERROR' }],
    ['{"return":{"id":"inner","a":[["x"]]},"id":"q12"}', { id: 'q12' }],
    ['{"id":7,"return":"q9"}', {}], // a number id; "return" is a key, not the id's value
    ['{"return":[{"event":"x"}]}', {}],
  ])('%s → %o', (text, want) => {
    expect(topLevel(text)).toEqual(want);
  });
});
