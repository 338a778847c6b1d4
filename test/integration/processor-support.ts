/**
 * Support for the processor runtime's reliability tests: a synthetic fleet built from
 * the shared fixtures, produced to a fresh raw topic on the real broker; a reference
 * computed by the same pure partition step over the messages read back from that
 * broker (one uninterrupted run); what the runtime published, read back to the end of
 * every output topic; and the group's offsets. Processes: processor-instances.ts.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { KafkaMessage } from 'kafkajs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore } from '#processor/core/step.js';
import { initialPartitionState, type InputMessage, processBatch } from '#processor/partition/partitionStep.js';
import { rollupObjectKey } from '#processor/sinks/objectKey.js';
import { encodeRollupParquet } from '#processor/sinks/parquet.js';
import { schemaTopicMessage } from '#schemas/codecs/avro.js';
import { outputCodecs } from '#schemas/codecs/outputs.js';
import { decodeRaw, encodeRaw, rawCodec } from '#schemas/codecs/raw.js';
import type { ProcessorRuntimeConfigInput } from '#schemas/config/processorRuntime.js';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import type { Rate } from '#schemas/outputs.js';
import type { RawRecord } from '#schemas/types.js';
import { replayFile } from '#tools/transcript/replay.js';
import { fixturePath } from '../support/fixtures.js';
import { hugeArrayCount } from '../support/hostile.js';
import { kafkaClient, randomName, s3Client, stack } from './helpers/index.js';
import { readToEnd } from './read-to-end.js';

export { readToEnd as readAll } from './read-to-end.js';

/** Copies of the fixture VMs, shifted in time, interleaved by time: several minutes of a small fleet. */
export function fleetRecords(copies = 4): RawRecord[] {
  const thin = replayFile(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records;
  const kvm = replayFile(fixturePath('qmp', 'kvm-vcpu-stats.jsonl')).records;
  const out: RawRecord[] = [];
  const copy = (recs: RawRecord[], name: string, shiftMs: number) => {
    for (const r of recs) out.push({ ...r, t: r.t + shiftMs, vm: { ...r.vm, uuid: `name:${name}`, name } });
  };
  const thin0 = thin[0]!.t;
  const kvm0 = kvm[0]!.t;
  for (let k = 0; k < copies; k++) {
    copy(thin, `thin-${k}`, k * 45_000);
    copy(kvm, `kvm-${k}`, thin0 - kvm0 + k * 50_000 + 7_000);
  }
  return out
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.t - b.r.t || a.i - b.i)
    .map(({ r }) => r);
}

/** A value with a valid single-object header and a body that is not the record. */
export function corruptBody(): Buffer {
  return Buffer.concat([Buffer.from([0xc3, 0x01]), rawCodec().fingerprint, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01])]);
}

export function unknownFingerprint(rec: RawRecord): Buffer {
  const b = Buffer.from(encodeRaw(rec));
  b.fill(0x5a, 2, 10);
  return b;
}

export interface Scenario {
  id: string;
  raw: string;
  schemas: string;
  bucket: string;
  cfg: ProcessorRuntimeConfigInput;
  configFile: string;
}

/** Fresh raw and schema topics and bucket; `overrides` go into the kafka section; `rates` publishes rates to the scenario's own topic. */
export async function newScenario(
  name: string,
  partitions = 3,
  overrides: Partial<ProcessorRuntimeConfigInput['kafka']> = {},
  opts: { rates?: boolean } = {},
): Promise<Scenario> {
  const id = randomName(name);
  const s = stack();
  const sc = { id, raw: `${id}-raw`, schemas: `${id}-schemas`, bucket: id };
  const admin = kafkaClient('it-admin').admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: sc.raw, numPartitions: partitions, replicationFactor: 1 },
      { topic: sc.schemas, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
  });
  await admin.disconnect();
  await s3Client().send(new CreateBucketCommand({ Bucket: sc.bucket }));
  const cfg: ProcessorRuntimeConfigInput = {
    kafka: {
      brokers: s.kafkaBrokers,
      rawTopic: sc.raw,
      schemaTopic: sc.schemas,
      groupId: `${id}-group`,
      alertsTopic: `${id}-alerts`,
      deadLetterTopic: `${id}-dlq`,
      checkpointTopic: `${id}-checkpoints`,
      rollupsTopic: `${id}-rollups`,
      transactionalIdPrefix: id,
      maxBatchMessages: 25,
      sessionTimeoutMs: 10_000,
      schemaWaitMs: 1_000, // the unknown-fingerprint poison waits this long for its schema
      replicationFactor: 1, // the single-broker stack
      ...(opts.rates ? { ratesTopic: `${id}-rates` } : {}),
      ...overrides,
    },
    s3: {
      bucket: sc.bucket,
      endpoint: s.s3.endpoint,
      forcePathStyle: true,
      accessKeyId: s.s3.accessKeyId,
      secretAccessKey: s.s3.secretAccessKey,
      prefix: 'rollups',
    },
    rollups: { allowedLatenessMs: 2_000 },
    s3Retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: 3, pauseMs: 2_000 },
    // The fixtures' windows end long before their hour: a partition's objects are written once it is quiet for a second.
    rollupWriter: { groupId: `${id}-rollup-writer`, commitIntervalMs: 1_000, logIntervalMs: 2_000, flushIdleMs: 1_000 },
    core: { rollup: { resolutionsMs: [60_000, 3_600_000] } },
    metrics: { listen: 'off' },
    log: { level: 'warn' },
  };
  const dir = mkdtempSync(join(tmpdir(), 'qmpipe-proc-'));
  const configFile = join(dir, 'processor.json');
  writeFileSync(configFile, JSON.stringify(cfg));
  return { ...sc, cfg, configFile };
}

/**
 * Publishes the writer schema and the records (keyed by VM uuid), with poison messages at
 * `poisonAt`: in turn a corrupt body, an unknown fingerprint, and a Sample announcing 10⁹
 * block devices in a few bytes.
 */
export async function produce(sc: Scenario, records: RawRecord[], poisonAt: number[] = []): Promise<void> {
  const p = kafkaClient('it-producer').producer();
  await p.connect();
  await p.send({ topic: sc.schemas, messages: [schemaTopicMessage(rawCodec().type)] });
  const msgs = records.map((r) => ({ key: r.vm.uuid, value: encodeRaw(r) }));
  const poison = [corruptBody, unknownFingerprint, () => hugeArrayCount(1e9)];
  poisonAt.forEach((at, i) => msgs.splice(at, 0, { key: records[at]!.vm.uuid, value: poison[i % poison.length]!(records[at]!) }));
  for (let i = 0; i < msgs.length; i += 500) await p.send({ topic: sc.raw, messages: msgs.slice(i, i + 500) });
  await p.disconnect();
}

/** Outputs as sorted keys (duplicates kept), rollup objects by key. */
export interface Expected {
  alerts: string[];
  /** Empty when the scenario publishes no rates. */
  rates: string[];
  objects: Map<string, Buffer>;
  deadLetters: string[];
  messages: number;
  /** Smallest record timestamp among the published alerts, rates and dead letters (actual only). */
  oldestTimestamp?: number;
}

export function alertKey(a: { id: string; state: string; t: number; severity: string }): string {
  return `${a.t}|${a.id}|${a.state}|${a.severity}`;
}

export function rateKey(r: Rate): string {
  return `${r.t}|${r.vmUuid}|${r.series}|${r.value}|${r.unit}`;
}

/** One uninterrupted run of the pure partition step over what the broker holds. */
export async function reference(sc: Scenario): Promise<Expected> {
  const cfg = loadProcessorRuntimeConfig({ raw: sc.cfg });
  const env = {
    core: createCore(cfg.core, { emitRates: cfg.kafka.ratesTopic !== 'off' }),
    decode: decodeRaw,
    allowedLatenessMs: cfg.rollups.allowedLatenessMs,
  };
  const byPartition = await readToEnd(sc.raw);
  const exp: Expected = { alerts: [], rates: [], objects: new Map(), deadLetters: [], messages: 0 };
  for (const [p, msgs] of [...byPartition].sort((a, b) => a[0] - b[0])) {
    const input: InputMessage[] = msgs.map((m) => ({ offset: Number(m.offset), timestamp: Number(m.timestamp), key: m.key, value: m.value }));
    const { outputs } = processBatch(initialPartitionState(sc.raw, p), input, env);
    exp.messages += msgs.length;
    exp.alerts.push(...outputs.alerts.map(alertKey));
    exp.rates.push(...outputs.rates.map(rateKey));
    exp.deadLetters.push(...outputs.deadLetters.map((d) => `${d.partition}:${d.offset}:${d.code}`));
    for (const w of outputs.windows) exp.objects.set(rollupObjectKey(cfg.s3.prefix, w.resolutionMs, p, w.windowStart), Buffer.from(encodeRollupParquet(w, p)));
  }
  for (const keys of [exp.alerts, exp.rates, exp.deadLetters]) keys.sort();
  return exp;
}

/**
 * What the runtime published: every output topic read (read_committed) to its end and
 * on through a quiet period, so duplicates after the expected ones are seen too; a topic
 * nobody created holds nothing. And the bucket's objects.
 */
export async function actual(sc: Scenario): Promise<Expected> {
  const k = loadProcessorRuntimeConfig({ raw: sc.cfg }).kafka;
  const admin = kafkaClient('it-topics').admin();
  await admin.connect();
  const topics = new Set(await admin.listTopics());
  await admin.disconnect();
  const read = async (topic: string): Promise<KafkaMessage[]> => (topics.has(topic) ? [...(await readToEnd(topic)).values()].flat() : []);
  const alerts = await read(k.alertsTopic);
  const rates = k.ratesTopic === 'off' ? [] : await read(k.ratesTopic);
  const dls = await read(k.deadLetterTopic);
  const codecs = outputCodecs();
  const objects = new Map<string, Buffer>();
  const s3 = s3Client();
  const list = await s3.send(new ListObjectsV2Command({ Bucket: sc.bucket }));
  for (const o of list.Contents ?? []) {
    const got = await s3.send(new GetObjectCommand({ Bucket: sc.bucket, Key: o.Key! }));
    objects.set(o.Key!, Buffer.from(await got.Body!.transformToByteArray()));
  }
  return {
    alerts: alerts.map((m) => alertKey(codecs.alert.decode(m.value!))).sort(),
    rates: rates.map((m) => rateKey(codecs.rate.decode(m.value!))).sort(),
    deadLetters: dls
      .map((m) => codecs.deadLetter.decode(m.value!))
      .map((d) => `${d.partition}:${d.offset}:${d.code}`)
      .sort(),
    objects,
    messages: 0,
    oldestTimestamp: Math.min(...[...alerts, ...rates, ...dls].map((m) => Number(m.timestamp))),
  };
}

/** `got` holds exactly the keys of `exp`, each as often: a short account of what is missing and what is extra otherwise. */
export function sameKeys(got: readonly string[], exp: readonly string[]): string {
  const count = new Map<string, number>();
  for (const k of exp) count.set(k, (count.get(k) ?? 0) + 1);
  for (const k of got) count.set(k, (count.get(k) ?? 0) - 1);
  const missing = [...count].filter(([, n]) => n > 0).map(([k, n]) => (n > 1 ? `${k} ×${n}` : k));
  const extra = [...count].filter(([, n]) => n < 0).map(([k, n]) => (n < -1 ? `${k} ×${-n}` : k));
  if (missing.length === 0 && extra.length === 0) return 'same';
  return `${got.length} published, ${exp.length} expected; missing ${missing.length}: ${missing.slice(0, 5).join(', ')}; extra ${extra.length}: ${extra.slice(0, 5).join(', ')}`;
}

/**
 * Output partitions whose log no longer starts at offset 0, i.e. records the broker deleted
 * (the test broker enforces time-based retention every second: infra/kafka/start.sh).
 */
export async function deletedRecords(topics: string[]): Promise<string[]> {
  const admin = kafkaClient('it-retention').admin();
  await admin.connect();
  try {
    const out: string[] = [];
    for (const t of topics) for (const o of await admin.fetchTopicOffsets(t)) if (Number(o.low) > 0) out.push(`${t}[${o.partition}] starts at offset ${o.low}`);
    return out;
  } finally {
    await admin.disconnect();
  }
}

export { lagOf, offsets, total, waitCaughtUp, writerLagOf, writerOffsets } from './processor-offsets.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
