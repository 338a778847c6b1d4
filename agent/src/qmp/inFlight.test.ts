import { describe, expect, it } from 'vitest';
import { InFlight } from './inFlight.js';

const cmd = (id: string) => ({ id, command: `query-${id}` });

describe('InFlight', () => {
  it('takes replies in order and out of order, by id', () => {
    const f = new InFlight<{ id: string; command: string }>();
    ['q1', 'q2', 'q3', 'q4'].forEach((id) => f.add(cmd(id)));
    expect(f.take('q1')?.command).toBe('query-q1');
    expect(f.take('q3')?.command).toBe('query-q3');
    expect(f.take('q3')).toBeUndefined(); // answered once only
    expect(f.take('nope')).toBeUndefined();
    expect(f.size).toBe(2);
    expect(f.snapshot().map((c) => c.id)).toEqual(['q2', 'q4']);
  });

  it('removes by identity and drains oldest first', () => {
    const f = new InFlight<{ id: string; command: string }>();
    const a = cmd('q1');
    const b = cmd('q2');
    f.add(a);
    f.add(b);
    expect(f.remove(cmd('q1'))).toBe(false); // same id, another object
    expect(f.remove(a)).toBe(true);
    expect(f.remove(a)).toBe(false);
    f.add(cmd('q3'));
    expect(f.drain().map((c) => c.id)).toEqual(['q2', 'q3']);
    expect(f.size).toBe(0);
    expect(b.id).toBe('q2');
  });
});
