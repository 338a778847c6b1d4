/**
 * Puts one rollup object (or lists a span's), retrying until it is stored or the writer stops: S3 being down
 * holds the rollup writer (its records wait in the rollups topic), never the processor.
 *
 * One attempt is the store's put (with its own retries, `s3Retry`); between attempts the
 * common policy (common/src/retry.ts) waits, with no limit on the tries, between
 * `initialRetryTime` and `maxRetryTime` (the writer gives both `s3Retry.pauseMs`). The put
 * and the wait keep the consumer alive (`keepAlive`, the group heartbeat, every second);
 * the wait ends as soon as the writer stops. Each failure is
 * counted; the log gets one line per `logIntervalMs` while S3 fails (how many failed since
 * the last line, the latest error) and one when a put succeeds again.
 */
import { describeError, QmpipeError } from '#common/errors.js';
import type { Logger } from '#common/log.js';
import { retry, type RetryPolicy } from '#common/retry.js';
import type { ObjectStore } from '../sinks/s3Store.js';
import type { LaneIo } from './laneStore.js';
import type { ReadyObject } from './objects.js';
import { whileHeartbeating } from '../runtime/kafka/heartbeat.js';

export class WriterStopped extends QmpipeError {
  constructor() {
    super('ROLLUP_WRITER_STOPPED', 'the rollup writer stopped before the object was stored', { retriable: false });
  }
}

export interface ObjectPutsOptions {
  policy: Pick<RetryPolicy, 'initialRetryTime' | 'maxRetryTime'>;
  logIntervalMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onFailure?: () => void;
}

export class ObjectPuts {
  private failingSince: number | null = null;
  private failures = 0;
  private unlogged = 0;
  private loggedAt = -Infinity;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly store: Pick<ObjectStore, 'put' | 'list'>,
    private readonly opts: ObjectPutsOptions,
    private readonly log: Logger,
  ) {
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Resolves once stored; rejects with WriterStopped when `running()` turns false, or with keepAlive's error. */
  async put(key: string, body: Uint8Array, running: () => boolean, keepAlive: () => Promise<void>): Promise<void> {
    await this.attempt(key, () => this.store.put(key, body, 'application/vnd.apache.parquet'), running, keepAlive);
  }

  /** The keys under `prefix`, tried as long as a put would be. */
  list(prefix: string, running: () => boolean, keepAlive: () => Promise<void>): Promise<string[]> {
    return this.attempt(prefix, () => this.store.list(prefix), running, keepAlive);
  }

  private async attempt<T>(key: string, op: () => Promise<T>, running: () => boolean, keepAlive: () => Promise<void>): Promise<T> {
    const out = await retry(
      async (bail) => {
        if (!running()) bail(new WriterStopped());
        return whileHeartbeating(keepAlive, op);
      },
      {
        policy: { ...this.opts.policy, multiplier: 2, factor: 0.2, retries: Number.POSITIVE_INFINITY },
        shouldRetry: () => true,
        onRetry: (err) => this.failed(key, err),
        sleep: (ms) => this.wait(ms, running, keepAlive),
      },
    );
    if (this.failingSince !== null) {
      this.log.info('S3 writes succeed again; the rollup writer catches up', {
        failures: this.failures,
        failingForMs: this.now() - this.failingSince,
      });
      this.failingSince = null;
      this.failures = 0;
      this.unlogged = 0;
      this.loggedAt = -Infinity;
    }
    return out;
  }

  private failed(key: string, err: unknown): void {
    this.opts.onFailure?.();
    const now = this.now();
    this.failingSince ??= now;
    this.failures++;
    this.unlogged++;
    if (now - this.loggedAt < this.opts.logIntervalMs) return;
    this.log.warn('S3 unavailable: rollup objects wait in the rollups topic, alerts go on', {
      failedPuts: this.unlogged,
      failingForMs: now - this.failingSince,
      key,
      error: describeError(err),
    });
    this.loggedAt = now;
    this.unlogged = 0;
  }

  private async wait(ms: number, running: () => boolean, keepAlive: () => Promise<void>): Promise<void> {
    const until = this.now() + ms;
    for (let left = ms; left > 0; left = until - this.now()) {
      if (!running()) throw new WriterStopped();
      await this.sleep(Math.min(left, 1_000));
      await keepAlive();
    }
  }
}

/**
 * The store as the lane step sees it (laneStore.ts): each list and put tried while
 * `running()`, or once (`'once'`: outside a batch, where nothing heartbeats the group);
 * `onPut` after each stored object.
 */
export function laneIo(puts: ObjectPuts, running: (() => boolean) | 'once', keepAlive: () => Promise<void>, onPut: (obj: ReadyObject) => void): LaneIo {
  const gate = () => {
    if (running !== 'once') return running;
    let tries = 0;
    return () => tries++ === 0;
  };
  return {
    list: (prefix) => puts.list(prefix, gate(), keepAlive),
    put: async (obj) => {
      await puts.put(obj.key, obj.body, gate(), keepAlive);
      onPut(obj);
    },
  };
}
