import { describe, expect, it } from 'vitest';
import { clockJump, clockWatch } from './clockJump.js';

describe('clock jumps', () => {
  it('a wall clock stepped a day ahead, then back, against a steady monotonic one', () => {
    const w = clockWatch();
    const wall0 = Date.UTC(2026, 0, 1);
    const seen = [0, 1_000, 2_000, 3_000, 4_000].map((mono, i) => clockJump(w, wall0 + mono + (i === 2 || i === 3 ? 86_400_000 : 0), mono));
    expect(seen).toEqual([0, 0, 86_400_000, 0, -86_400_000]);
  });

  it('drift and scheduling jitter within the tolerance are not jumps', () => {
    const w = clockWatch();
    expect([0, 1_000, 2_000].map((mono, i) => clockJump(w, 5_000 + mono + i * 300, mono))).toEqual([0, 0, 0]);
  });
});
