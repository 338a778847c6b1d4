import { describe, expect, it } from 'vitest';
import { admitEvent, initialEventBudget, takeSuppressed, type EventBudget } from './eventBudget.js';

function feed(s: EventBudget, names: string[], now: number, perSecond: number): { s: EventBudget; admitted: string[] } {
  const admitted: string[] = [];
  for (const n of names) {
    const r = admitEvent(s, n, now, perSecond);
    s = r.state;
    if (r.admit) admitted.push(n);
  }
  return { s, admitted };
}

describe('event budget', () => {
  it('admits a burst of perSecond, then refills at perSecond a second', () => {
    let { s, admitted } = feed(initialEventBudget(10, 0), Array(25).fill('BLOCK_IO_ERROR'), 0, 10);
    expect(admitted).toHaveLength(10);
    ({ s, admitted } = feed(s, Array(25).fill('BLOCK_IO_ERROR'), 500, 10)); // half a second: 5 tokens
    expect(admitted).toHaveLength(5);
    const taken = takeSuppressed(s);
    expect(taken.count).toBe(35);
    expect(taken.summary).toBe('BLOCK_IO_ERROR ×35');
    expect(takeSuppressed(taken.state).count).toBe(0);
  });

  it('the first event of each name in a second passes an empty bucket', () => {
    let { s } = feed(initialEventBudget(2, 0), ['A', 'A', 'A', 'A'], 0, 2);
    const r = feed(s, ['STOP', 'STOP', 'A'], 10, 2);
    expect(r.admitted).toEqual(['STOP']);
    s = r.s;
    expect(feed(s, ['STOP'], 1000, 2).admitted).toEqual(['STOP']); // a new second, and 2 tokens again
  });
});
