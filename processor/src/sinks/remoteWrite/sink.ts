/**
 * The Prometheus remote-write sink: a thin shell around the pure mapping (series.ts),
 * encoding (protobuf.ts) and queue (queue.ts).
 *
 * Contract: the runtime calls `offer` with a partition's committed outputs (and its
 * state, for the alerts firing now) after the transaction committed, and with the
 * outputs a new owner replays up to the committed offset (at least once: the receiver
 * may already hold them, and says so; that counts as delivered). `offer` maps and queues
 * synchronously and never waits for the network: a receiver that is down delays
 * nothing else. One sender loop posts batches of at most `batchSize` samples in queue
 * order, retrying retriable failures with the common backoff policy, without a limit
 * on attempts; while it waits the queue fills up to `maxQueueSamples` and then drops
 * the oldest series, counted. Not called concurrently (Node's one thread).
 * `stop(timeoutMs)` sends what is queued for at most that long, then abandons the rest.
 */
import { describeError, isRetriable } from '#common/errors.js';
import { silentLogger, type Logger } from '#common/log.js';
import { Registry } from '#common/metrics.js';
import { backoffDelay, type RetryPolicy } from '#common/retry.js';
import type { CoreState } from '../../core/state/state.js';
import { compressBody, type RemoteWriteClient } from './client.js';
import { encodeWriteRequest, sampleCount, type TimeSeries } from './protobuf.js';
import { SeriesQueue } from './queue.js';
import { LabelCache, toTimeSeries, type BatchInput } from './series.js';
import { sleep } from '#common/sleep.js';

export interface RemoteWriteSinkOptions {
  batchSize: number;
  maxQueueSamples: number;
  retry: RetryPolicy;
  /** Extra labels on every series (e.g. cluster). */
  labels: Readonly<Record<string, string>>;
}

export function remoteWriteTelemetry(registry = new Registry()) {
  return {
    samples: registry.counter(
      'processor_remote_write_samples_total',
      'Samples handed to remote write, by result: sent, duplicate (the receiver had them), rejected, dropped (queue full)',
    ),
    requests: registry.counter('processor_remote_write_requests_total', 'Remote-write requests, by result: ok, duplicate, retry, rejected'),
    unmapped: registry.counter('processor_remote_write_unmapped_total', 'Core values with no Prometheus name (left out)'),
    queued: registry.gauge('processor_remote_write_queue_samples', 'Samples waiting in the remote-write queue'),
  };
}

export interface RemoteWriteStats {
  sent: number;
  duplicate: number;
  rejected: number;
  dropped: number;
  retries: number;
  requests: number;
  unmapped: number;
}

export class RemoteWriteSink {
  readonly stats: RemoteWriteStats = { sent: 0, duplicate: 0, rejected: 0, dropped: 0, retries: 0, requests: 0, unmapped: 0 };
  private readonly queue: SeriesQueue;
  private readonly labels = new LabelCache();
  private readonly abort = new AbortController();
  private readonly t: ReturnType<typeof remoteWriteTelemetry>;
  private wake: (() => void) | null = null;
  private idle: Array<() => void> = [];
  private inFlight = 0;
  private stopping = false;
  private failing = false;
  private readonly loop: Promise<void>;
  private readonly log: Logger;

  constructor(
    private readonly client: RemoteWriteClient,
    private readonly o: RemoteWriteSinkOptions,
    deps: { registry?: Registry; log?: Logger } = {},
  ) {
    this.queue = new SeriesQueue(o.maxQueueSamples);
    this.t = remoteWriteTelemetry(deps.registry);
    this.log = deps.log ?? silentLogger;
    this.loop = this.run();
  }

  /** Maps and queues a batch; never blocks. */
  offer(batch: BatchInput, state: CoreState | null): void {
    if (this.stopping) return;
    const mapped = toTimeSeries(batch, state, this.o.labels, this.labels);
    this.stats.unmapped += mapped.unmapped;
    if (mapped.unmapped > 0) this.t.unmapped.inc({}, mapped.unmapped);
    if (mapped.series.length === 0) return;
    const before = this.queue.dropped;
    this.queue.push(mapped.series);
    this.countDropped(this.queue.dropped - before);
    this.t.queued.set({}, this.queue.samples);
    this.wake?.();
  }

  /** Samples waiting or in flight. */
  get pending(): number {
    return this.queue.samples + this.inFlight;
  }

  /** Resolves true once everything offered so far was delivered (or given up), false after `timeoutMs`. */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((resolve) => this.idle.push(() => resolve(true)));
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([drained, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends what is queued for at most `timeoutMs`, then abandons the rest (counted as dropped). */
  async stop(timeoutMs = 5_000): Promise<void> {
    await this.flush(timeoutMs);
    this.stopping = true;
    this.countDropped(this.queue.samples);
    this.queue.take(Number.POSITIVE_INFINITY);
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }

  private countDropped(n: number): void {
    if (n <= 0) return;
    this.stats.dropped += n;
    this.t.samples.inc({ result: 'dropped' }, n);
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0) {
        for (const resolve of this.idle.splice(0)) resolve();
        if (this.stopping) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      const batch = this.queue.take(this.o.batchSize);
      this.t.queued.set({}, this.queue.samples);
      this.inFlight = sampleCount(batch);
      await this.deliver(batch, this.inFlight);
      this.inFlight = 0;
    }
  }

  private async deliver(batch: TimeSeries[], n: number): Promise<void> {
    const body = compressBody(encodeWriteRequest(batch));
    for (let attempt = 0; ; attempt++) {
      try {
        this.stats.requests++;
        const result = await this.client.send(body, this.abort.signal);
        this.t.requests.inc({ result });
        if (result === 'ok') this.stats.sent += n;
        else this.stats.duplicate += n;
        this.t.samples.inc({ result: result === 'ok' ? 'sent' : 'duplicate' }, n);
        if (this.failing) this.log.info('remote write delivering again', { attempts: attempt + 1 });
        this.failing = false;
        return;
      } catch (err) {
        if (this.abort.signal.aborted || !isRetriable(err)) {
          this.stats.rejected += n;
          this.t.requests.inc({ result: 'rejected' });
          this.t.samples.inc({ result: 'rejected' }, n);
          if (!this.abort.signal.aborted) this.log.warn('remote write rejected a batch; not retried', { samples: n, error: describeError(err) });
          return;
        }
        this.stats.retries++;
        this.t.requests.inc({ result: 'retry' });
        if (!this.failing)
          this.log.warn('remote write failing; retrying with backoff while the queue fills', { error: describeError(err), queued: this.queue.samples });
        this.failing = true;
        await sleep(backoffDelay(this.o.retry, Math.min(attempt, 20)), this.abort.signal);
      }
    }
  }
}
