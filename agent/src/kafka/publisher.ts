/**
 * KafkaPublisher: drains the spool into Kafka. The imperative shell around kafkajs.
 *
 *   start:  (in the background, retried with backoff until it works)
 *           connect admin → check the topics exist (raw + compacted schemas; with
 *           kafka.createTopics on, create the missing ones) → publish the writer
 *           schema keyed by fingerprint → connect the idempotent producer
 *   publish: encode → over `maxRecordBytes`? dead letter : spool
 *   loop:   wait for records (+ linger) → peek one batch → send (acks=all, gzip)
 *           → commit on success; on a failure that may pass (produceErrors.ts: broker
 *           down, timeout, SASL) back off and re-send the same batch (new records wake
 *           only the wait for records, never a backoff: a broker that rejects the agent
 *           at once, e.g. wrong SASL credentials, is not re-tried per sample); when the
 *           broker refused a record for good, isolate it (below), dead-letter it
 *           (rejected.ts) and go on with the rest
 *   stop:   keep draining until the spool is empty or `drainTimeoutMs` passes,
 *           then persist what is left to disk and disconnect
 *
 * Only one batch is in flight at a time, so per-key order holds across retries.
 * Pollers never wait for Kafka: `RecordSink.publish` only appends to the spool.
 *
 * Isolating a refused record: a batch spans partitions, the broker appends the
 * partitions it accepts, and kafkajs rolls back the sequence numbers of the whole
 * request, so a different split of those records under the same producer id would be
 * out of sequence. The producer is therefore replaced (a new producer id) and the batch
 * sent one record at a time: a single-record request fails or succeeds as a whole. The
 * records of other partitions the broker had already appended arrive twice (consumers
 * dedupe by uuid + seq; the processor drops a sample whose time did not advance).
 */
import { SENT_AT_HEADER, sentAtValue } from '#schemas/codecs/sentAt.js';
import { CompressionTypes, Kafka, type Admin, type Producer } from 'kafkajs';
import { describeError } from '#common/errors.js';
import type { Health } from '#common/health.js';
import { silentLogger, type Logger } from '#common/log.js';
import { backoffDelay, defaultRetryPolicy } from '#common/retry.js';
import { schemaTopicMessage } from '#schemas/codecs/avro.js';
import { encodeRaw, rawCodec } from '#schemas/codecs/raw.js';
import type { AgentConfig } from '#schemas/config/agent.js';
import type { RawRecord } from '#schemas/types.js';
import type { RecordSink } from '../poller/sink.js';
import { DeadLetterFile } from '../spool/deadLetter.js';
import type { SpoolEntry } from '../spool/segment.js';
import type { Spool } from '../spool/spool.js';
import type { AgentTelemetry } from '../telemetry.js';
import { kafkaClientConfig, kafkaLogCreator } from '#common/kafka.js';
import { publisherHealth } from './health.js';
import { producerConfig, TopicsMissingError, topicsToCreate } from './options.js';
import { classifyProduceError } from './produceErrors.js';
import { RejectedRecords, type OnDeadLetter } from './rejected.js';

type KafkaCfg = AgentConfig['kafka'];

export class KafkaPublisher implements RecordSink {
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private ready = false;
  private stopping = false;
  /** Set once stop() has persisted the spool: the loop must not send anything after. */
  private halted = false;
  private deadline = Infinity;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** True while the loop waits for records: only then does a new record wake it (never a backoff). */
  private waitingForRecords = false;
  private readonly log: Logger;
  private readonly rejected: RejectedRecords;
  /** Why the last attempt to connect or send failed; null once one succeeds. */
  private failing: string | null = null;

  constructor(
    private readonly cfg: KafkaCfg,
    private readonly spool: Spool,
    private readonly telemetry: AgentTelemetry,
    logger: Logger = silentLogger,
    deadLetters: { file: DeadLetterFile; onDeadLetter?: OnDeadLetter | undefined } = { file: new DeadLetterFile(undefined, 0) },
  ) {
    this.log = logger.child({ component: 'kafka' });
    this.kafka = new Kafka(kafkaClientConfig(cfg, kafkaLogCreator(this.log)));
    this.rejected = new RejectedRecords(deadLetters.file, telemetry, this.log, deadLetters.onDeadLetter);
  }

  /** Appends one record to the spool (never blocks, never throws). */
  publish(key: string, record: RawRecord): void {
    let value: Buffer;
    try {
      value = encodeRaw(record);
    } catch (err) {
      this.telemetry.publishErrors.inc({ error: 'encode' });
      this.log.error('record does not encode; dropped', { error: describeError(err), kind: record.body.kind });
      return;
    }
    if (value.length > this.cfg.maxRecordBytes) return this.rejected.handle({ key, value }, 'record-too-large');
    try {
      this.spool.push({ key, value });
    } catch (err) {
      // The spool counts its own I/O failures; anything else must not reach a poller or a socket handler.
      this.telemetry.spoolDropped.inc({ reason: 'spool-error' });
      this.log.error('spool refused a record; dropped', { error: describeError(err) });
      return;
    }
    this.updateGauges();
    if (this.waitingForRecords) this.wake?.();
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** /healthz: unhealthy while Kafka cannot be reached or refuses what is sent (records wait in the spool). */
  health(): Health {
    return publisherHealth(this.ready, this.failing);
  }

  /**
   * Drains for at most `drainTimeoutMs`, persists the rest, disconnects. A produce
   * request still hanging at the deadline is abandoned: its batch is persisted too, so
   * if the broker did take it, those records arrive twice after the next start
   * (at-least-once only at this edge; consumers dedupe by vm.uuid + instanceId + seq).
   */
  async stop(drainTimeoutMs: number): Promise<void> {
    this.stopping = true;
    this.deadline = Date.now() + drainTimeoutMs;
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      (this.loop ?? Promise.resolve()).then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), drainTimeoutMs + 1000))),
    ]);
    clearTimeout(timer);
    this.halted = true;
    if (gaveUp) this.log.warn('drain deadline passed with a produce request in flight; persisting its batch', { spooled: this.spool.records });
    this.spool.persist();
    this.updateGauges();
    // A broker that hangs must not hold the exit: give the disconnect a second.
    await Promise.race([this.producer?.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.done()) {
      try {
        if (!this.ready) await this.connect();
        attempt = 0;
        const sent = await this.sendOne();
        this.failing = null;
        if (!sent) await this.idle();
      } catch (err) {
        this.failing = describeError(err);
        this.telemetry.publishErrors.inc({ error: (err as Error).name || 'Error' });
        if (attempt === 0 || attempt % 10 === 0) {
          if (err instanceof TopicsMissingError)
            this.log.warn('waiting for topics: records wait in the spool', {
              topics: err.topics,
              howTo: TopicsMissingError.howTo,
              attempt,
              spooled: this.spool.records,
            });
          else this.log.warn('Kafka unavailable; records wait in the spool', { error: describeError(err), attempt, spooled: this.spool.records });
        }
        await this.sleep(Math.min(backoffDelay(defaultRetryPolicy, Math.min(attempt++, 10)), Math.max(0, this.deadline - Date.now())));
      }
    }
  }

  private done(): boolean {
    return this.halted || (this.stopping && (this.spool.records === 0 || Date.now() >= this.deadline || !this.ready));
  }

  private async connect(): Promise<void> {
    await this.ensureTopics();
    this.producer ??= this.kafka.producer(producerConfig);
    await this.producer.connect();
    const schema = schemaTopicMessage(rawCodec().type);
    await this.producer.send({ topic: this.cfg.schemaTopic, acks: -1, messages: [schema] });
    this.ready = true;
    this.log.info('Kafka producer ready', { rawTopic: this.cfg.rawTopic, schemaTopic: this.cfg.schemaTopic, fingerprint: schema.key });
  }

  /**
   * With createTopics on, creates the missing topics; else checks they exist: a missing one
   * throws TopicsMissingError, and the loop waits and looks again (records stay in the spool).
   */
  private async ensureTopics(): Promise<void> {
    const admin: Admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topicsToCreate(this.cfg).filter((t) => !existing.has(t.topic));
      if (missing.length === 0) return;
      if (this.cfg.createTopics === 'off') throw new TopicsMissingError(missing.map((t) => t.topic));
      await admin.createTopics({ topics: missing, waitForLeaders: true });
      this.log.info('created topics', { topics: missing.map((t) => t.topic) });
    } finally {
      await admin.disconnect();
    }
  }

  /** Sends one batch; false when the spool was empty. */
  private async sendOne(): Promise<boolean> {
    if (this.halted) return false;
    const batch = this.spool.peek(this.cfg.batchMaxRecords, this.cfg.batchMaxBytes);
    if (batch.length === 0) return false;
    try {
      await this.send(batch);
    } catch (err) {
      const failure = classifyProduceError(err);
      if (failure.kind === 'retry' || this.halted) throw err;
      if (batch.length === 1) this.settle(1, batch[0], failure.reason);
      else await this.isolate(batch, failure.reason);
      return true;
    }
    this.settle(batch.length);
    return true;
  }

  private async send(entries: readonly SpoolEntry[]): Promise<void> {
    const t0 = performance.now();
    const sent = sentAtValue(Date.now());
    await this.producer!.send({
      topic: this.cfg.rawTopic,
      acks: -1,
      timeout: this.cfg.requestTimeoutMs,
      compression: this.cfg.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      // The agent's clock at send time: the processor measures this host's clock against the broker's (schemas/src/codecs/sentAt.ts).
      messages: entries.map((e) => ({ key: e.key, value: e.value, headers: { [SENT_AT_HEADER]: sent } })),
    });
    this.telemetry.publishLatency.observe({}, (performance.now() - t0) / 1000);
  }

  /** The first `n` records of the batch in flight are done: acknowledged, or `rejected` (one record) dead-lettered. */
  private settle(n: number, rejected?: SpoolEntry, reason?: string): void {
    if (this.halted) return; // persisted already: leave the spool as stop() wrote it
    if (rejected) this.rejected.handle(rejected, reason!);
    else this.telemetry.recordsPublished.inc({}, n);
    this.spool.commit(n);
    this.updateGauges();
  }

  /**
   * A batch was refused for good: replace the producer (see the header) and send the
   * records one at a time. A failure that may pass throws (backoff; the rest of the
   * batch stays in flight and goes out as one batch again).
   */
  private async isolate(batch: readonly SpoolEntry[], reason: string): Promise<void> {
    this.log.info('Kafka refused a batch for good; sending it one record at a time to find the records it refuses', { reason, records: batch.length });
    const old = this.producer;
    this.producer = undefined;
    this.ready = false;
    await Promise.race([old?.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())]);
    await this.connect();
    for (const e of batch) {
      if (this.halted) return;
      try {
        await this.send([e]);
      } catch (err) {
        const failure = classifyProduceError(err);
        if (failure.kind === 'retry') throw err;
        this.settle(1, e, failure.reason);
        continue;
      }
      this.settle(1);
    }
  }

  /** Waits for the first record, then lingers so a batch can form. */
  private async idle(): Promise<void> {
    if (this.stopping) return;
    this.waitingForRecords = true;
    try {
      while (this.spool.records === 0 && !this.stopping) await this.sleep(60_000);
    } finally {
      this.waitingForRecords = false;
    }
    if (!this.stopping && this.cfg.lingerMs > 0) await this.sleep(this.cfg.lingerMs, false);
  }

  private sleep(ms: number, wakeable = true): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      if (wakeable) {
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      }
    });
  }

  private updateGauges(): void {
    const t = this.spool.tiers();
    this.telemetry.spoolRecords.set({ tier: 'memory' }, t.memory.records);
    this.telemetry.spoolRecords.set({ tier: 'disk' }, t.disk.records);
    this.telemetry.spoolBytes.set({ tier: 'memory' }, t.memory.bytes);
    this.telemetry.spoolBytes.set({ tier: 'disk' }, t.disk.bytes);
  }
}
