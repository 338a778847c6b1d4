import { describe, expect, it } from 'vitest';
import { GroupProgress, processorHealth } from './health.js';

const limits = { sessionTimeoutMs: 30_000, stallMs: 300_000 };
const T = 1_700_000_000_000;

describe('processorHealth', () => {
  it('is unhealthy until the consumer joins its group, and after it leaves', () => {
    const g = new GroupProgress();
    expect(processorHealth(g, T, limits)).toEqual({ ok: false, reason: 'Kafka: not in the consumer group (not joined yet)' });
    g.joined([0, 1], T);
    expect(processorHealth(g, T, limits)).toEqual({ ok: true });
    g.left('crashed: KafkaJSConnectionError: Connection error: connect ECONNREFUSED 127.0.0.1:9');
    expect(processorHealth(g, T, limits)).toEqual({
      ok: false,
      reason: 'Kafka: not in the consumer group (crashed: KafkaJSConnectionError: Connection error: connect ECONNREFUSED 127.0.0.1:9)',
    });
  });

  it('is unhealthy once no heartbeat was answered for a session time-out', () => {
    const g = new GroupProgress();
    g.joined([0], T);
    g.heartbeat(T + 10_000);
    expect(processorHealth(g, T + 40_000, limits).ok).toBe(true);
    expect(processorHealth(g, T + 40_001, limits)).toEqual({ ok: false, reason: 'Kafka: no heartbeat answered for 30 s (broker unreachable?)' });
  });

  it('a partition with lag but no commit for stallMs is unhealthy; one without lag, or not yet fetched, is not', () => {
    const g = new GroupProgress();
    g.joined([0, 1, 2], T);
    const at = (t: number) => {
      g.heartbeat(t);
      return processorHealth(g, t, limits);
    };
    g.fetched(0, 100, 500); // lag 400
    g.fetched(1, 50, 50); // caught up
    // partition 2: nothing fetched, its lag is unknown (absent, not 0)
    expect(at(T + 300_000).ok).toBe(true);
    expect(at(T + 300_001)).toEqual({ ok: false, reason: 'partition 0: lag but no commit for over 300 s' });
    g.committed(0, 300, T + 300_002);
    expect(at(T + 300_002).ok).toBe(true); // a commit is progress, lag or not
    expect(at(T + 600_002).ok).toBe(true);
    expect(at(T + 600_003)).toEqual({ ok: false, reason: 'partition 0: lag but no commit for over 300 s' });
    g.committed(0, 500, T + 600_004);
    expect(at(T + 10_000_000).ok).toBe(true); // caught up: no lag, no commit needed
  });

  it('a new assignment starts each partition afresh and forgets the lost ones', () => {
    const g = new GroupProgress();
    g.joined([0, 1], T);
    g.fetched(0, 0, 10);
    g.fetched(1, 0, 10);
    g.joined([1, 2], T + 200_000);
    expect([...g.partitions.keys()]).toEqual([1, 2]);
    g.heartbeat(T + 400_000);
    expect(processorHealth(g, T + 400_000, limits)).toEqual({ ok: false, reason: 'partition 1: lag but no commit for over 300 s' });
  });
});
