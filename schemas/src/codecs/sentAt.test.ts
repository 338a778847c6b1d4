import { describe, expect, it } from 'vitest';
import { parseSentAt, sentAtValue } from './sentAt.js';

describe('the qmpipe-sent-at header', () => {
  it('round-trips through text, bytes and Lambda’s byte arrays', () => {
    const v = sentAtValue(1_795_312_004_167.9);
    expect(v).toBe('1795312004167');
    expect(parseSentAt(v)).toBe(1_795_312_004_167);
    expect(parseSentAt(Buffer.from(v))).toBe(1_795_312_004_167);
    expect(parseSentAt([...Buffer.from(v)])).toBe(1_795_312_004_167);
  });

  it.each([undefined, null, '', 'abc', '-1795312004167', '1795312004167.5', '17953120041670', '99', '0946684799999'])('refuses %j', (v) => {
    expect(parseSentAt(v)).toBeUndefined();
  });
});
