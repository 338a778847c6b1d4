import { describe, expect, it } from 'vitest';
import { LaneQueue } from './laneQueue.js';

describe('lane queue', () => {
  it("runs one partition's tasks in turn, a failed one not blocking the next, other partitions alongside", async () => {
    const q = new LaneQueue();
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = q.run(0, async () => {
      seen.push('a start');
      await gate;
      seen.push('a end');
    });
    const b = q.run(0, async () => {
      seen.push('b');
      throw new Error('b failed');
    });
    const c = q.run(0, async () => void seen.push('c'));
    const other = q.run(1, async () => void seen.push('other'));
    await other;
    expect(seen).toEqual(['a start', 'other']);
    release();
    await a;
    await expect(b).rejects.toThrow('b failed');
    await c;
    expect(seen).toEqual(['a start', 'other', 'a end', 'b', 'c']);
  });
});
