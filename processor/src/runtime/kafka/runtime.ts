/**
 * The long-running processor: a kafkajs consumer group over the raw topic. Each
 * batch of one partition goes through the partition shell (shell/partitionShell.ts):
 * the pure step, the before-commit sinks (none by default), then one Kafka transaction
 * committing the alerts, rates and dead letters, the in-commit sinks' records (rollup
 * windows to the rollups topic, which the rollup writer puts in S3), the partition's
 * checkpoint when due and the consumed offset, together, then the after-commit sinks.
 * Nothing here waits for S3.
 *
 * If a before-commit sink stays down past its retries, the partition rolls back to its
 * checkpoint, seeks to the committed offset and pauses for a while, then resumes:
 * nothing is lost and nothing is committed twice. Any instance can take a partition
 * over, because its state lives only in the checkpoint topic.
 */
import { parseSentAt, SENT_AT_HEADER } from '#schemas/codecs/sentAt.js';
import kafkajs, { type Consumer, type EachBatchPayload, type IHeaders, type Kafka, type Message } from 'kafkajs';
import type { Logger } from '#common/log.js';
import type { ProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { describeError } from '#common/errors.js';
import { checkpointKey, encodeCheckpoint } from '../../partition/partitionCheckpoint.js';
import type { InputMessage, PartitionEnv, PartitionOutputs } from '../../partition/partitionStep.js';
import { alertMessages, deadLetterMessages, rateMessages } from '#schemas/codecs/outputs.js';
import { runPartitionBatch, type ShellDeps } from '../../shell/partitionShell.js';
import type { CommitRecords, Sink } from '../../sinks/sink.js';
import type { WriterSchemas } from '../../input/writerSchemas.js';
import type { ProcessorTelemetry } from '../telemetry.js';
import { CoreCounterExport } from '../coreCounters.js';
import type { GroupProgress } from '../health.js';
import { takeOwnership, type PartitionOwner } from './partitionOwner.js';
import { commitPartitionTransaction, isFenced } from './transactions.js';
import { whileHeartbeating } from './heartbeat.js';
import { stickyAssigner } from './stickyAssigner.js';

export interface RuntimeDeps {
  kafka: Kafka;
  env: PartitionEnv;
  /** Writer schemas: re-read when a batch holds a record of an unknown one (an upgraded agent). */
  schemas: Pick<WriterSchemas, 'ensureKnown'>;
  /** Where outputs go besides the transaction (sinks/sinks.ts). */
  sinks: readonly Sink[];
  telemetry: ProcessorTelemetry;
  log: Logger;
  /** Told of the group, heartbeats, fetches and commits, for /healthz (runtime/health.ts). */
  progress: GroupProgress;
}

export class ProcessorRuntime {
  private consumer: Consumer | undefined;
  private readonly owners = new Map<number, PartitionOwner>();
  /** The raw-topic partitions of this member's last assignment: what it says it holds when it joins again. */
  private assigned: number[] = [];
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private readonly coreCounters: CoreCounterExport;
  private readonly shell: ShellDeps;

  constructor(
    private readonly cfg: ProcessorRuntimeConfig,
    private readonly deps: RuntimeDeps,
  ) {
    this.coreCounters = new CoreCounterExport(deps.telemetry, deps.log);
    this.shell = {
      env: deps.env,
      sinks: deps.sinks,
      log: deps.log,
      onSinkFailure: (sink) => deps.telemetry.sinkFailures.inc({ sink: sink.name, phase: sink.phase }),
    };
  }

  async start(): Promise<void> {
    const k = this.cfg.kafka;
    const consumer = this.deps.kafka.consumer({
      groupId: k.groupId,
      readUncommitted: false,
      sessionTimeout: k.sessionTimeoutMs,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: k.fetchMaxBytesPerPartition,
      maxBytes: k.fetchMaxBytesPerPartition * 4,
      // Sticky: a rebalance moves only the partitions it must (stickyAssigner.ts); round-robin while older members remain.
      partitionAssigners: [stickyAssigner(() => new Map([[k.rawTopic, this.assigned]])), kafkajs.PartitionAssigners.roundRobin],
    });
    this.consumer = consumer;
    const progress = this.deps.progress;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const partitions = e.payload.memberAssignment[k.rawTopic] ?? [];
      this.assigned = partitions;
      progress.joined(partitions, Date.now());
      void this.onAssignment(partitions);
    });
    consumer.on(consumer.events.HEARTBEAT, () => progress.heartbeat(Date.now()));
    consumer.on(consumer.events.REBALANCING, () => progress.left('rebalancing'));
    consumer.on(consumer.events.CRASH, (e) => progress.left(`crashed: ${describeError(e.payload.error)}`));
    consumer.on(consumer.events.DISCONNECT, () => progress.left('disconnected'));
    consumer.on(consumer.events.STOP, () => progress.left('stopped'));
    await consumer.connect();
    await consumer.subscribe({ topic: k.rawTopic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: k.partitionsConcurrently,
      eachBatch: (p) => this.onBatch(p),
    });
  }

  /** Clean shutdown: kafkajs finishes the batch in progress (its transaction commits), then everything disconnects. */
  async stop(): Promise<void> {
    for (const t of this.resumeTimers) clearTimeout(t);
    await this.consumer?.disconnect();
    await Promise.all([...this.owners.values()].map((o) => this.finalCheckpoint(o)));
    await Promise.all([...this.owners.values()].map((o) => o.producer.disconnect().catch(() => undefined)));
    this.owners.clear();
    this.deps.telemetry.ownedPartitions.set({}, 0);
  }

  /** On a clean stop: checkpoint at the committed offset, so the next owner replays nothing. */
  private async finalCheckpoint(o: PartitionOwner): Promise<void> {
    if (o.state.nextOffset !== o.committedOffset) return;
    try {
      await commitPartitionTransaction(o.producer, this.transactionOf(o, null, encodeCheckpoint(o.state)));
    } catch (err) {
      this.deps.log.warn('final checkpoint failed; the next owner replays from the previous one', { partition: o.partition, error: describeError(err) });
    }
  }

  private async onAssignment(partitions: number[]): Promise<void> {
    const keep = new Set(partitions);
    for (const [p, o] of this.owners) {
      if (keep.has(p)) continue;
      this.owners.delete(p);
      await o.producer.disconnect().catch(() => undefined);
    }
    this.deps.telemetry.ownedPartitions.set({}, this.owners.size);
    this.deps.log.info('partitions assigned', { partitions });
  }

  private async owner(partition: number): Promise<PartitionOwner> {
    let o = this.owners.get(partition);
    if (!o) {
      const k = this.cfg.kafka;
      o = await takeOwnership(
        this.deps.kafka,
        {
          rawTopic: k.rawTopic,
          checkpointTopic: k.checkpointTopic,
          transactionalIdPrefix: k.transactionalIdPrefix,
          checkpointMaxMessageBytes: k.checkpointMaxMessageBytes,
          groupId: k.groupId,
        },
        partition,
        this.deps.log,
        () => this.deps.telemetry.unusableCheckpoints.inc(),
      );
      this.owners.set(partition, o);
      this.deps.telemetry.ownedPartitions.set({}, this.owners.size);
    }
    return o;
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    // Taking a partition over reads its checkpoint: the group must not drop this member meanwhile.
    const owner = await whileHeartbeating(heartbeat, () => this.owner(batch.partition));
    const msgs: InputMessage[] = batch.messages.map((m) => ({
      offset: Number(m.offset),
      timestamp: Number(m.timestamp),
      key: m.key,
      value: m.value,
      sentAt: sentAtOf(m.headers),
    }));
    if (msgs.length > 0) this.deps.progress.fetched(batch.partition, msgs[0]!.offset, Number(batch.highWatermark));
    await whileHeartbeating(heartbeat, () => this.deps.schemas.ensureKnown(msgs.map((m) => m.value)));
    // A new owner's checkpoint may be older than the committed offset the group fetched
    // from: go back to the checkpoint and replay up to the committed offset silently.
    if (msgs.length > 0 && msgs[0]!.offset > owner.state.nextOffset && owner.state.nextOffset < owner.committedOffset) {
      this.consumer?.seek({ topic: this.cfg.kafka.rawTopic, partition: owner.partition, offset: String(owner.state.nextOffset) });
      return;
    }
    for (let i = 0; i < msgs.length; i += this.cfg.kafka.maxBatchMessages) {
      if (!isRunning() || isStale()) return;
      const chunk = msgs.slice(i, i + this.cfg.kafka.maxBatchMessages);
      const ok =
        (await this.replaySilently(
          owner,
          chunk.filter((m) => m.offset < owner.committedOffset),
        )) &&
        (await this.processChunk(
          owner,
          chunk.filter((m) => m.offset >= owner.committedOffset),
        ));
      if (!ok) return;
      resolveOffset(String(owner.state.nextOffset - 1));
      await heartbeat();
    }
  }

  /** Messages whose outputs were already published: advance the state, hand them to the sinks again, commit nothing. */
  private async replaySilently(owner: PartitionOwner, chunk: InputMessage[]): Promise<boolean> {
    const outcome = await runPartitionBatch(owner.state, chunk, this.shell, null);
    if (outcome.result !== 'sinkFailed') return true;
    await this.pauseForSink(owner, outcome.sink, outcome.error);
    return false;
  }

  /** One chunk, all or nothing: before-commit sinks, then one transaction. False when the partition was paused or lost. */
  private async processChunk(owner: PartitionOwner, chunk: InputMessage[]): Promise<boolean> {
    let seconds = 0;
    const outcome = await runPartitionBatch(owner.state, chunk, this.shell, async (outputs, records) => {
      const due = Date.now() - owner.checkpointedAt >= this.cfg.kafka.checkpointIntervalMs;
      const started = process.hrtime.bigint();
      await commitPartitionTransaction(owner.producer, this.transactionOf(owner, outputs, due ? encodeCheckpoint(owner.state) : null, records));
      owner.committedOffset = owner.state.nextOffset;
      this.deps.progress.committed(owner.partition, owner.committedOffset, Date.now());
      if (due) owner.checkpointedAt = Date.now();
      seconds = Number(process.hrtime.bigint() - started) / 1e9;
    });
    switch (outcome.result) {
      case 'nothing':
        return true;
      case 'sinkFailed':
        await this.pauseForSink(owner, outcome.sink, outcome.error);
        return false;
      case 'commitFailed':
        await this.onCommitFailure(owner, outcome.error);
        return false;
      case 'done':
        this.account(owner, chunk.length - outcome.outputs.skipped, outcome.outputs, seconds);
        return true;
    }
  }

  private transactionOf(owner: PartitionOwner, out: PartitionOutputs | null, checkpoint: Buffer | null, records: readonly CommitRecords[] = []) {
    const k = this.cfg.kafka;
    const outputs = new Map<string, Message[]>();
    if (out) {
      outputs.set(k.alertsTopic, alertMessages(out.alerts));
      outputs.set(k.deadLetterTopic, deadLetterMessages(out.deadLetters));
      if (k.ratesTopic !== 'off') outputs.set(k.ratesTopic, rateMessages(out.rates));
    }
    for (const r of records) outputs.set(r.topic, [...(outputs.get(r.topic) ?? []), ...r.messages]);
    return {
      outputs,
      checkpoint: checkpoint && { topic: k.checkpointTopic, partition: owner.partition, key: checkpointKey(k.rawTopic, owner.partition), value: checkpoint },
      offsets: { groupId: k.groupId, topic: k.rawTopic, partition: owner.partition, nextOffset: owner.state.nextOffset },
    };
  }

  /** Drops the partition and re-reads from its committed offset; the next batch re-takes it from its checkpoint. */
  private async release(owner: PartitionOwner): Promise<void> {
    this.owners.delete(owner.partition);
    this.deps.telemetry.ownedPartitions.set({}, this.owners.size);
    await owner.producer.disconnect().catch(() => undefined);
    this.consumer?.seek({ topic: this.cfg.kafka.rawTopic, partition: owner.partition, offset: String(owner.committedOffset) });
  }

  private async onCommitFailure(owner: PartitionOwner, err: unknown): Promise<void> {
    this.deps.telemetry.transactions.inc({ result: isFenced(err) ? 'fenced' : 'failed' });
    this.deps.log.warn('transaction failed; the partition restarts from its checkpoint', {
      partition: owner.partition,
      error: describeError(err),
      fenced: isFenced(err),
    });
    await this.release(owner);
  }

  /** A before-commit sink (S3) failed past its retries: nothing is committed; the partition waits, then starts again from its checkpoint. */
  private async pauseForSink(owner: PartitionOwner, sink: string, err: unknown): Promise<void> {
    const tp = [{ topic: this.cfg.kafka.rawTopic, partitions: [owner.partition] }];
    this.consumer?.pause(tp);
    await this.release(owner);
    this.deps.telemetry.pausedPartitions.inc({});
    this.deps.log.warn('a before-commit sink is unavailable: partition paused, nothing committed', {
      partition: owner.partition,
      sink,
      error: describeError(err),
      resumeInMs: this.cfg.s3Retry.pauseMs,
    });
    const timer = setTimeout(() => {
      this.resumeTimers.delete(timer);
      this.deps.telemetry.pausedPartitions.inc({}, -1);
      this.consumer?.resume(tp);
    }, this.cfg.s3Retry.pauseMs);
    this.resumeTimers.add(timer);
  }

  private account(owner: PartitionOwner, n: number, out: PartitionOutputs, seconds: number): void {
    const t = this.deps.telemetry;
    t.records.inc({}, n);
    t.transactions.inc({ result: 'committed' });
    t.txnSeconds.observe({}, seconds);
    t.rollupWindows.inc({}, out.windows.length);
    t.rollupLate.set({ partition: String(owner.partition) }, owner.state.rollups.late);
    t.counterResets.set({ partition: String(owner.partition) }, owner.state.core.counters.counterResets);
    this.coreCounters.report(owner.state);
    for (const d of out.deadLetters) t.deadLetters.inc({ code: d.code });
    for (const a of out.alerts) t.alerts.inc({ type: a.type, state: a.state });
  }
}

/** The agent's send time from a kafkajs message's headers (a header may repeat: the first counts). */
function sentAtOf(headers: IHeaders | undefined): number | undefined {
  const v = headers?.[SENT_AT_HEADER];
  return parseSentAt(Array.isArray(v) ? v[0] : v);
}
