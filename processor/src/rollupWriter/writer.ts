/**
 * The rollup writer: a consumer group of its own (read_committed) over the rollups
 * topic, which the processor fills inside its transactions. It joins each window's
 * chunks (assembly.ts), adds the window to its partition's, resolution's and hour's (or
 * day's) object (objects.ts, laneStore.ts; the rows stay in the topic until then), puts
 * each object when it is complete, and commits its offsets only up to records whose
 * windows are in stored objects, every `commitIntervalMs` and when it stops. Objects no
 * window came to for `flushIdleMs` are put by the timer, every open one when the writer
 * stops, the largest when the open ones hold more than `maxBufferedBytes`. S3 down: a put
 * is tried again with backoff for as long as it takes (objectPuts.ts) while the records
 * wait in the topic; the processor's alerts never wait.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { describeError } from '#common/errors.js';
import type { Logger } from '#common/log.js';
import { rollupWindowCodec, type RollupWindowRecord } from '#schemas/codecs/rollupWindows.js';
import { RollupObjectBuilder } from '../sinks/parquet.js';
import type { ObjectStore } from '../sinks/s3Store.js';
import { committable, emptyLane, feed, type Lane, passTo, pendingWindows } from './assembly.js';
import { type LaneIo, storeObjects, writeWindow } from './laneStore.js';
import { allObjects, bufferedBytes, emptyObjects, idleObjects, type LaneObjects, largestObject, type ObjectSettings } from './objects.js';
import { LaneQueue } from './laneQueue.js';
import { laneIo, ObjectPuts, WriterStopped } from './objectPuts.js';
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
  maxObjectRows: number;
  maxObjectBytes: number;
  maxBufferedBytes: number;
  flushIdleMs: number;
}

export interface RollupWriterDeps {
  kafka: Kafka;
  store: Pick<ObjectStore, 'put' | 'list'>;
  telemetry: RollupWriterTelemetry;
  log: Logger;
}

export class RollupWriter {
  private consumer: Consumer | undefined;
  private running = false;
  private readonly lanes = new Map<number, Lane>();
  /** By partition: the objects its lane fills (dropped with the lane). */
  private readonly objects = new Map<number, LaneObjects>();
  private readonly settings: ObjectSettings;
  private flushing = false;
  /** A lane's batches and timer flushes, one at a time. */
  private readonly queue = new LaneQueue();
  /** By partition: the high watermark of its latest fetch. */
  private readonly highWatermarks = new Map<number, number>();
  /** By partition: the offset committed last, and when. */
  private readonly committed = new Map<number, { offset: number; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly puts: ObjectPuts;

  constructor(
    private readonly cfg: RollupWriterSettings,
    private readonly deps: RollupWriterDeps,
  ) {
    this.puts = new ObjectPuts(deps.store, { policy: cfg.retry, logIntervalMs: cfg.logIntervalMs, onFailure: () => deps.telemetry.s3Errors.inc() }, deps.log);
    this.settings = { prefix: cfg.prefix, maxRows: cfg.maxObjectRows, maxBytes: cfg.maxObjectBytes, builder: (p) => new RollupObjectBuilder(p) };
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
      this.objects.clear();
      this.committed.clear();
      this.deps.telemetry.pending.set({}, 0);
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => this.onFilteredBatch(e.payload));
    this.running = true;
    this.timer = setInterval(() => void this.tick(), Math.max(100, Math.min(this.cfg.commitIntervalMs, this.cfg.flushIdleMs)));
    await consumer.connect();
    await consumer.subscribe({ topic: this.cfg.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.cfg.partitionsConcurrently,
      eachBatch: (p) => this.onBatch(p),
    });
  }

  /**
   * Ends a put in progress, puts every open object (one try each: what fails is read again
   * by the next owner), commits what is stored, disconnects.
   */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    for (const p of [...this.objects.keys()]) await this.queue.run(p, async () => this.putNow(p, (objs) => allObjects(objs, this.settings)));
    if (this.consumer) await this.commitAll();
    await this.consumer?.disconnect();
  }

  /** The timer: puts the objects idle for `flushIdleMs`, then commits what is due. */
  private async tick(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (const p of [...this.objects.keys()])
        await this.queue.run(p, async () => {
          await this.putNow(p, (objs) => idleObjects(objs, this.settings, Date.now(), this.cfg.flushIdleMs));
          const lane = this.lanes.get(p);
          if (lane) await this.afterBatch(p, lane);
        });
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Puts objects cut outside a batch (idle, stopping), one try each (its store's own retries).
   * A failure drops the lane, so no later object of it is put before the failed one is: the
   * lane is read again from its first record not stored.
   */
  private async putNow(partition: number, cut: (objs: LaneObjects) => ReturnType<typeof allObjects>): Promise<void> {
    const lane = this.lanes.get(partition);
    const objs = this.objects.get(partition);
    if (!lane || !objs) return;
    const ready = cut(objs);
    if (ready.length === 0) return;
    try {
      await storeObjects(
        lane,
        objs,
        ready,
        this.io('once', async () => {}),
      );
    } catch (err) {
      this.deps.log.warn('rollup writer: an object was not stored; its windows are read again', { partition, error: describeError(err) });
      if (this.lanes.get(partition) === lane) this.rewind(partition, lane);
    }
  }

  private io(running: (() => boolean) | 'once', keepAlive: () => Promise<void>): LaneIo {
    return laneIo(this.puts, running, keepAlive, (obj) => {
      this.deps.telemetry.objects.inc();
      this.deps.telemetry.objectBytes.inc({}, obj.body.length);
    });
  }

  private laneOf(partition: number): { lane: Lane; objs: LaneObjects } {
    let lane = this.lanes.get(partition);
    let objs = this.objects.get(partition);
    if (!lane || !objs) {
      this.lanes.set(partition, (lane = emptyLane()));
      this.objects.set(partition, (objs = emptyObjects()));
    }
    return { lane, objs };
  }

  /** Puts the lane's largest open objects while the open ones of every lane hold more than `maxBufferedBytes`. */
  private async withinBudget(lane: Lane, objs: LaneObjects, io: LaneIo): Promise<void> {
    for (;;) {
      let total = 0;
      for (const o of this.objects.values()) total += bufferedBytes(o);
      this.deps.telemetry.buffered.set({}, total);
      if (total <= this.cfg.maxBufferedBytes) return;
      const big = largestObject(objs, this.settings);
      if (big === null) return;
      await storeObjects(lane, objs, [big], io);
    }
  }

  private onBatch(p: EachBatchPayload): Promise<void> {
    return this.queue.run(p.batch.partition, () => this.readBatch(p));
  }

  private async readBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    const { lane, objs } = this.laneOf(partition);
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
        this.updatePending();
        const io = this.io(running, heartbeat);
        try {
          const { skipped } = await writeWindow(lane, objs, this.settings, complete, Date.now(), io);
          if (skipped) this.deps.telemetry.skipped.inc();
          await this.withinBudget(lane, objs, io);
        } catch (err) {
          if (err instanceof WriterStopped) {
            await this.commitIfDue(partition, lane, true); // what is stored; the rest is read again
            this.rewind(partition, lane); // nothing after the object not stored is put
            return;
          }
          this.rewind(partition, lane);
          throw err; // a failed heartbeat (a rebalance): kafkajs joins the group again
        }
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
      const { lane } = this.laneOf(partition);
      passTo(lane, end);
      await this.commitIfDue(partition, lane, true);
    } catch (err) {
      this.deps.log.debug('rollup writer: committed offset not read; the markers are passed with the next records', { partition, error: describeError(err) });
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /** Pending windows and the partition's lag (against its latest fetch's high watermark), and a commit when due. */
  private async afterBatch(partition: number, lane: Lane, highWatermark?: number): Promise<void> {
    if (highWatermark !== undefined) this.highWatermarks.set(partition, highWatermark);
    this.updatePending();
    const done = await this.commitIfDue(partition, lane, !this.running);
    const hw = this.highWatermarks.get(partition);
    if (done !== null && hw !== undefined) this.deps.telemetry.lag.set({ partition: String(partition) }, Math.max(0, hw - done));
  }

  private updatePending(): void {
    this.deps.telemetry.pending.set(
      {},
      [...this.lanes.values()].reduce((n, l) => n + pendingWindows(l), 0),
    );
  }

  /** Forgets the lane and reads it again from its first record not stored. */
  private rewind(partition: number, lane: Lane): void {
    const offset = committable(lane);
    this.lanes.delete(partition);
    this.objects.delete(partition);
    if (offset !== null && this.running) this.consumer?.seek({ topic: this.cfg.topic, partition, offset: String(offset) });
  }

  /**
   * Commits the lane's committable offset when it moved, at most once per interval
   * unless `now` (the stop commits what the batches left); returns it.
   */
  private async commitIfDue(partition: number, lane: Lane, now: boolean): Promise<number | null> {
    const offset = committable(lane);
    if (this.lanes.get(partition) !== lane) return offset; // dropped (a rebalance, a rewind): another reads it now
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
