/**
 * The rollup writer: a consumer group of its own (read_committed) over the rollups
 * topic, which the processor fills inside its transactions. It joins each window's
 * chunks (assembly.ts), writes the window's Parquet object at its deterministic key
 * (the same key and bytes the partition step's window always had), and commits its
 * offsets only up to records whose objects are stored, every `commitIntervalMs` and when
 * it stops. S3 down: the put is tried again with backoff for as long as it takes
 * (objectPuts.ts) while the records wait in the topic; the processor's alerts never wait.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { describeError } from '#common/errors.js';
import type { Logger } from '#common/log.js';
import { rollupWindowCodec, type RollupWindowRecord } from '#schemas/codecs/rollupWindows.js';
import { rollupObjectKey } from '../sinks/objectKey.js';
import { encodeRollupParquet } from '../sinks/parquet.js';
import type { ObjectStore } from '../sinks/s3Store.js';
import { committable, emptyLane, feed, type Lane, markStored, passTo, pendingWindows } from './assembly.js';
import { ObjectPuts, WriterStopped } from './objectPuts.js';
import type { RollupWriterTelemetry } from './telemetry.js';

export interface RollupWriterSettings {
  topic: string;
  groupId: string;
  /** Key prefix of the objects (s3.prefix). */
  prefix: string;
  commitIntervalMs: number;
  logIntervalMs: number;
  partitionsConcurrently: number;
  sessionTimeoutMs: number;
  retry: { initialRetryTime: number; maxRetryTime: number };
}

export interface RollupWriterDeps {
  kafka: Kafka;
  store: Pick<ObjectStore, 'put'>;
  telemetry: RollupWriterTelemetry;
  log: Logger;
}

export class RollupWriter {
  private consumer: Consumer | undefined;
  private running = false;
  private readonly lanes = new Map<number, Lane>();
  /** By partition: the offset committed last, and when. */
  private readonly committed = new Map<number, { offset: number; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly puts: ObjectPuts;

  constructor(
    private readonly cfg: RollupWriterSettings,
    private readonly deps: RollupWriterDeps,
  ) {
    this.puts = new ObjectPuts(deps.store, { policy: cfg.retry, logIntervalMs: cfg.logIntervalMs, onFailure: () => deps.telemetry.s3Errors.inc() }, deps.log);
  }

  async start(): Promise<void> {
    const consumer = this.deps.kafka.consumer({
      groupId: this.cfg.groupId,
      readUncommitted: false,
      sessionTimeout: this.cfg.sessionTimeoutMs,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    // Whatever was read before a rebalance is read again from the committed offsets.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.lanes.clear();
      this.committed.clear();
      this.deps.telemetry.pending.set({}, 0);
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => this.onFilteredBatch(e.payload));
    this.running = true;
    this.timer = setInterval(() => void this.commitAll(), Math.max(100, this.cfg.commitIntervalMs));
    await consumer.connect();
    await consumer.subscribe({ topic: this.cfg.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.cfg.partitionsConcurrently,
      eachBatch: (p) => this.onBatch(p),
    });
  }

  /** Ends a put in progress (its window is read again by the next owner), commits what is stored, disconnects. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    if (this.consumer) await this.commitAll();
    await this.consumer?.disconnect();
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    let lane = this.lanes.get(partition);
    if (!lane) this.lanes.set(partition, (lane = emptyLane()));
    const running = () => this.running && isRunning() && !isStale();
    const codec = rollupWindowCodec();
    let all = true;
    for (const m of batch.messages) {
      if (!running()) {
        all = false;
        break;
      }
      let record: RollupWindowRecord | null = null;
      try {
        record = m.value ? codec.decode(m.value) : null;
      } catch (err) {
        this.deps.log.warn('rollups-topic record left out: not a rollup window', { partition, offset: m.offset, error: describeError(err) });
      }
      const { complete, dropped } = feed(lane, Number(m.offset), record);
      for (const reason of dropped) this.deps.telemetry.dropped.inc({ reason });
      if (dropped.some((r) => r !== 'undecodable')) this.deps.log.warn('rollups-topic records left out', { partition, offset: m.offset, reasons: dropped });
      if (complete) {
        this.deps.telemetry.windows.inc();
        const w = complete.window;
        const key = rollupObjectKey(this.cfg.prefix, w.resolutionMs, complete.partition, w.windowStart);
        try {
          await this.puts.put(key, encodeRollupParquet(w, complete.partition), running, heartbeat);
        } catch (err) {
          if (err instanceof WriterStopped) {
            await this.commitIfDue(partition, lane, true); // what is stored; this window is read again
            return;
          }
          this.rewind(partition, lane);
          throw err; // a failed heartbeat (a rebalance): kafkajs joins the group again
        }
        markStored(lane, complete);
        this.deps.telemetry.objects.inc();
      }
      resolveOffset(m.offset);
      await this.commitIfDue(partition, lane, false);
    }
    if (all) passTo(lane, Number(batch.lastOffset()) + 1);
    await this.afterBatch(partition, lane, Number(batch.highWatermark));
  }

  /**
   * A fetch of transaction markers or aborted records only never reaches eachBatch;
   * kafkajs still reports its end: the lane passes it, so the commit reaches the end.
   */
  private onFilteredBatch(p: { partition: number; batchSize: number; firstOffset: string | null; lastOffset: string; highWatermark: string }): void {
    if (p.batchSize > 0 || !this.running) return;
    const lane = this.lanes.get(p.partition);
    if (lane) {
      passTo(lane, Number(p.lastOffset) + 1);
      void this.afterBatch(p.partition, lane, Number(p.highWatermark));
    } else if (p.firstOffset !== null) void this.passMarkersAtCommitted(p.partition, Number(p.firstOffset), Number(p.lastOffset) + 1);
  }

  /**
   * No lane yet (the first fetch after a rebalance, from the committed offset): a fetch of
   * markers only leaves the commit on the marker (the lag never reaches 0). When the fetch
   * started right at the group's committed offset, everything up to its end is markers or
   * aborted records: the lane starts there, so the commit passes them. A fetch that started
   * anywhere else (a stale one) is left alone: its range may follow records not yet stored.
   */
  private async passMarkersAtCommitted(partition: number, first: number, end: number): Promise<void> {
    const admin = this.deps.kafka.admin();
    try {
      await admin.connect();
      const [topic] = await admin.fetchOffsets({ groupId: this.cfg.groupId, topics: [this.cfg.topic] });
      const committed = Number(topic?.partitions.find((x) => x.partition === partition)?.offset ?? -1);
      if (committed !== first || this.lanes.has(partition) || !this.running) return;
      const lane = emptyLane();
      passTo(lane, end);
      this.lanes.set(partition, lane);
      await this.commitIfDue(partition, lane, true);
    } catch (err) {
      this.deps.log.debug('rollup writer: committed offset not read; the markers are passed with the next records', { partition, error: describeError(err) });
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  private async afterBatch(partition: number, lane: Lane, highWatermark: number): Promise<void> {
    this.deps.telemetry.pending.set(
      {},
      [...this.lanes.values()].reduce((n, l) => n + pendingWindows(l), 0),
    );
    const done = await this.commitIfDue(partition, lane, !this.running);
    if (done !== null) this.deps.telemetry.lag.set({ partition: String(partition) }, Math.max(0, highWatermark - done));
  }

  /** Forgets the lane and reads it again from its first record not stored. */
  private rewind(partition: number, lane: Lane): void {
    const offset = committable(lane);
    this.lanes.delete(partition);
    if (offset !== null && this.running) this.consumer?.seek({ topic: this.cfg.topic, partition, offset: String(offset) });
  }

  /**
   * Commits the lane's committable offset when it moved, at most once per interval
   * unless `now` (the timer and the stop commit what the batches left); returns it.
   */
  private async commitIfDue(partition: number, lane: Lane, now: boolean): Promise<number | null> {
    const offset = committable(lane);
    const last = this.committed.get(partition);
    if (offset === null || offset === last?.offset) return offset;
    if (!now && last !== undefined && Date.now() - last.at < this.cfg.commitIntervalMs) return offset;
    this.committed.set(partition, { offset, at: Date.now() });
    try {
      await this.consumer!.commitOffsets([{ topic: this.cfg.topic, partition, offset: String(offset) }]);
    } catch (err) {
      this.committed.delete(partition);
      this.deps.log.warn('rollup writer: offset commit failed; the records are read and written again', { partition, error: describeError(err) });
    }
    return offset;
  }

  private async commitAll(): Promise<void> {
    await Promise.all([...this.lanes].map(([p, lane]) => this.commitIfDue(p, lane, true)));
  }
}
