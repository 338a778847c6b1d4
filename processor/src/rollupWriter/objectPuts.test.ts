import { describe, expect, it } from 'vitest';
import { createLogger } from '#common/log.js';
import { S3StoreError } from '../sinks/s3Store.js';
import { laneIo, ObjectPuts, WriterStopped } from './objectPuts.js';
import type { ReadyObject } from './objects.js';

/** A store down for its first `failures` puts; a clock that moves only when the writer sleeps. */
function harness(failures: number) {
  let now = 0;
  let calls = 0;
  const stored: string[] = [];
  const lines: Array<{ level: string; msg: string; failedPuts?: number }> = [];
  const alive: number[] = [];
  let errors = 0;
  const store = {
    async put(key: string) {
      calls++;
      if (calls <= failures) throw new S3StoreError('S3_UNAVAILABLE', 'connect ECONNREFUSED', { retriable: true });
      stored.push(key);
    },
    list: async () => [],
  };
  const log = createLogger({}, { level: 'debug', write: (l) => lines.push(JSON.parse(l)) });
  const puts = new ObjectPuts(
    store,
    {
      policy: { initialRetryTime: 300, maxRetryTime: 10_000 },
      logIntervalMs: 10_000,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      onFailure: () => errors++,
    },
    log,
  );
  return { puts, stored, lines, alive, keepAlive: async () => void alive.push(now), calls: () => calls, errors: () => errors, now: () => now };
}

describe('rollup object puts while S3 is down', () => {
  it('tries again with capped backoff until S3 answers; one log line per interval, each with the failures since the last', async () => {
    const h = harness(40);
    await h.puts.put('k1', new Uint8Array([1]), () => true, h.keepAlive);
    expect(h.stored).toEqual(['k1']);
    expect(h.calls()).toBe(41);
    expect(h.errors()).toBe(40);
    const warns = h.lines.filter((l) => l.level === 'warn');
    // ~10 s between tries once the backoff is capped: about one line per try then, never more.
    expect(warns.length).toBeLessThan(40);
    expect(warns.reduce((n, l) => n + l.failedPuts!, 0)).toBeLessThanOrEqual(40);
    expect(warns[0]!.failedPuts).toBe(1);
    expect(warns[1]!.failedPuts).toBeGreaterThan(1); // the early, fast tries fold into one line
    expect(h.lines.at(-1)!.msg).toMatch(/succeed again/);
    // The consumer was kept alive at least every second of the wait.
    const gaps = h.alive.slice(1).map((t, i) => t - h.alive[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1_000);
    expect(h.now()).toBeGreaterThan(300_000);
  });

  it('stops waiting when the writer stops, with nothing stored', async () => {
    const h = harness(Number.POSITIVE_INFINITY);
    let running = true;
    const keepAlive = async () => {
      if (h.now() > 5_000) running = false;
    };
    await expect(h.puts.put('k1', new Uint8Array([1]), () => running, keepAlive)).rejects.toBeInstanceOf(WriterStopped);
    expect(h.stored).toEqual([]);
  });

  it('a failing keep-alive (a rebalance) ends the put with its error', async () => {
    const h = harness(Number.POSITIVE_INFINITY);
    const rebalance = new Error('The group is rebalancing');
    await expect(
      h.puts.put(
        'k1',
        new Uint8Array([1]),
        () => true,
        async () => {
          throw rebalance;
        },
      ),
    ).rejects.toBe(rebalance);
  });

  it("outside a batch ('once'): each object gets one try of its own, the first failing not failing the next", async () => {
    const h = harness(1);
    const obj = (key: string) => ({ key, body: new Uint8Array([1]) }) as ReadyObject;
    const put: string[] = [];
    const io = laneIo(h.puts, 'once', h.keepAlive, (o) => put.push(o.key));
    await expect(io.put(obj('k1'))).rejects.toBeInstanceOf(WriterStopped); // S3 refused it once: no second try
    await io.put(obj('k2'));
    await io.put(obj('k3'));
    expect(h.stored).toEqual(['k2', 'k3']);
    expect(put).toEqual(['k2', 'k3']);
  });
});
