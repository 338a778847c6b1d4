import { describe, expect, it } from 'vitest';
import { RemoteWriteError, classifyReply, type Delivery, type RemoteWriteClient } from './client.js';
import type { TimeSeries } from './protobuf.js';
import { SeriesQueue } from './queue.js';
import { RemoteWriteSink } from './sink.js';
import type { Point } from '../../core/outputs.js';

const series = (name: string, n: number): TimeSeries => ({
  labels: [['__name__', name]],
  samples: Array.from({ length: n }, (_, i) => ({ value: i, t: 1000 + i })),
});

describe('SeriesQueue', () => {
  it('drops the oldest series past its bound, counting their samples', () => {
    const q = new SeriesQueue(10);
    q.push([series('a', 4), series('b', 4)]);
    q.push([series('c', 4)]);
    expect(q.dropped).toBe(4);
    expect(q.samples).toBe(8);
    expect(q.take(5).map((s) => s.labels[0]![1])).toEqual(['b']);
    expect(q.take(100).map((s) => s.labels[0]![1])).toEqual(['c']);
    expect(q.samples).toBe(0);
  });
});

describe('classifyReply', () => {
  it.each([
    [204, '', 'ok'],
    [400, 'out of order sample', 'duplicate'],
    [400, 'duplicate sample for timestamp', 'duplicate'],
    [400, 'out of bounds', 'duplicate'],
    [400, 'invalid labels', 'rejected'],
    [429, 'slow down', 'retry'],
    [503, '', 'retry'],
  ] as const)('HTTP %d %s → %s', (status, body, want) => {
    const r = classifyReply(status, body);
    const got = r instanceof RemoteWriteError ? (r.retriable ? 'retry' : 'rejected') : r;
    expect(got).toBe(want);
  });
});

/** A client whose replies are scripted: an outcome, or an error to throw. */
function scripted(replies: Array<Delivery | RemoteWriteError>): RemoteWriteClient & { bodies: number } {
  const c = {
    bodies: 0,
    send: async () => {
      c.bodies++;
      const r = replies.shift() ?? 'ok';
      if (r instanceof RemoteWriteError) throw r;
      return r;
    },
  };
  return c;
}

const point = (t: number): Point => ({
  t,
  vm: 'v',
  vmUuid: 'u',
  host: 'h',
  series: 'block.vda.wr.bytes',
  value: t,
  unit: 'bytes',
  type: 'counter',
  node: null,
  reset: false,
});
const fast = { initialRetryTime: 1, maxRetryTime: 2, multiplier: 2, factor: 0, retries: 1e9 };

describe('RemoteWriteSink', () => {
  it('retries retriable failures until delivered; counts duplicates as delivered and rejections as rejected', async () => {
    const down = new RemoteWriteError('REMOTE_WRITE_NETWORK', 'ECONNREFUSED', { retriable: true });
    const client = scripted([down, down, 'ok', 'duplicate', new RemoteWriteError('REMOTE_WRITE_HTTP', 'HTTP 400', { retriable: false })]);
    const sink = new RemoteWriteSink(client, { batchSize: 1, maxQueueSamples: 100, retry: fast, labels: {} });
    for (const t of [1, 2, 3]) sink.offer({ rates: [], alerts: [], points: [{ ...point(t), series: `block.vd${t}.wr.bytes` }] }, null);
    expect(await sink.flush(2_000)).toBe(true);
    expect(sink.stats).toMatchObject({ sent: 1, duplicate: 1, rejected: 1, retries: 2, dropped: 0, requests: 5 });
    await sink.stop(100);
  });

  it('never blocks offer: while the receiver is down the queue fills to its bound and drops the oldest', async () => {
    let up = false;
    const client: RemoteWriteClient = {
      send: async () => {
        if (!up) throw new RemoteWriteError('REMOTE_WRITE_NETWORK', 'down', { retriable: true });
        return 'ok';
      },
    };
    const sink = new RemoteWriteSink(client, { batchSize: 5, maxQueueSamples: 10, retry: fast, labels: {} });
    for (let t = 1; t <= 30; t++) sink.offer({ rates: [], alerts: [], points: [point(t * 1000)] }, null);
    await new Promise((r) => setTimeout(r, 20));
    expect(sink.pending).toBe(10); // the newest 10: 5 in flight (retrying), 5 queued
    expect(sink.stats.dropped).toBe(20);
    up = true;
    expect(await sink.flush(2_000)).toBe(true);
    expect(sink.stats.sent).toBe(10);
    await sink.stop(100);
  });
});
