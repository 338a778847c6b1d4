/**
 * Support for the processor runtime's reliability tests: a synthetic fleet built from
 * the shared fixtures, produced to a fresh raw topic on the real broker; a reference
 * computed by the same pure partition step over the messages read back from that
 * broker (one uninterrupted run); and helpers to run `qmpipe processor` as a child
 * process that can be killed with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, CreateBucketCommand } from '@aws-sdk/client-s3';
import type { KafkaMessage } from 'kafkajs';
import { replayFile } from '#tools/transcript/replay.js';
import { fixturePath } from '../support/fixtures.js';
import { schemaTopicMessage } from '#schemas/codecs/avro.js';
import { decodeRaw, encodeRaw, rawCodec } from '#schemas/codecs/raw.js';
import type { RawRecord } from '#schemas/types.js';
import type { ProcessorRuntimeConfigInput } from '#schemas/config/processorRuntime.js';
import { createCore } from '#processor/core/step.js';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { initialPartitionState, processBatch, type InputMessage } from '#processor/partition/partitionStep.js';
import { encodeRollupParquet } from '#processor/sinks/parquet.js';
import { rollupObjectKey } from '#processor/sinks/objectKey.js';
import { outputCodecs } from '#schemas/codecs/outputs.js';
import { kafkaClient, randomName, s3Client, stack } from './helpers/index.js';

const root = join(import.meta.dirname, '..', '..');

/** Copies of the fixture VMs, shifted in time, interleaved by time: several minutes of a small fleet. */
export function fleetRecords(copies = 4): RawRecord[] {
  const thin = replayFile(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records;
  const kvm = replayFile(fixturePath('qmp', 'kvm-vcpu-stats.jsonl')).records;
  const out: RawRecord[] = [];
  const copy = (recs: RawRecord[], name: string, shiftMs: number) => {
    for (const r of recs) out.push({ ...r, t: r.t + shiftMs, vm: { ...r.vm, uuid: `uuid-${name}`, name } });
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

export async function newScenario(name: string, partitions = 3, overrides: Partial<ProcessorRuntimeConfigInput['kafka']> = {}): Promise<Scenario> {
  const id = randomName(name);
  const s = stack();
  const sc = { id, raw: `${id}-raw`, schemas: `${id}-schemas`, bucket: id };
  const admin = kafkaClient('it-admin').admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: sc.raw, numPartitions: partitions },
      { topic: sc.schemas, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
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
      transactionalIdPrefix: id,
      maxBatchMessages: 25,
      sessionTimeoutMs: 10_000,
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
    core: { rollup: { resolutionsMs: [60_000, 3_600_000] } },
    metrics: { listen: 'off' },
    log: { level: 'warn' },
  };
  const dir = mkdtempSync(join(tmpdir(), 'qmpipe-proc-'));
  const configFile = join(dir, 'processor.json');
  writeFileSync(configFile, JSON.stringify(cfg));
  return { ...sc, cfg, configFile };
}

/** Publishes the writer schema and the records (keyed by VM uuid), with poison messages at `poisonAt`. */
export async function produce(sc: Scenario, records: RawRecord[], poisonAt: number[] = []): Promise<void> {
  const p = kafkaClient('it-producer').producer();
  await p.connect();
  await p.send({ topic: sc.schemas, messages: [schemaTopicMessage(rawCodec().type)] });
  const msgs = records.map((r) => ({ key: r.vm.uuid, value: encodeRaw(r) }));
  poisonAt.forEach((at, i) => msgs.splice(at, 0, { key: records[at]!.vm.uuid, value: i % 2 === 0 ? corruptBody() : unknownFingerprint(records[at]!) }));
  for (let i = 0; i < msgs.length; i += 500) await p.send({ topic: sc.raw, messages: msgs.slice(i, i + 500) });
  await p.disconnect();
}

/** Every message of a topic, read_committed, grouped by partition in offset order. */
export async function readAll(topic: string, expected: number, timeoutMs = 60_000): Promise<Map<number, KafkaMessage[]>> {
  const consumer = kafkaClient('it-reader').consumer({ groupId: randomName('reader'), readUncommitted: false });
  const out = new Map<number, KafkaMessage[]>();
  if (expected === 0) return out;
  let n = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`readAll(${topic}): ${n} of ${expected} messages after ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            (out.get(partition) ?? out.set(partition, []).get(partition)!).push(message);
            if (++n >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

export interface Expected {
  alerts: string[];
  objects: Map<string, Buffer>;
  deadLetters: string[];
  messages: number;
  /** Smallest record timestamp among the published alerts and dead letters (actual only). */
  oldestTimestamp?: number;
}

/** One uninterrupted run of the pure partition step over what the broker holds. */
export async function reference(sc: Scenario, messages: number): Promise<Expected> {
  const cfg = loadProcessorRuntimeConfig({ raw: sc.cfg });
  const env = { core: createCore(cfg.core), decode: decodeRaw, allowedLatenessMs: cfg.rollups.allowedLatenessMs };
  const byPartition = await readAll(sc.raw, messages);
  const exp: Expected = { alerts: [], objects: new Map(), deadLetters: [], messages };
  for (const [p, msgs] of [...byPartition].sort((a, b) => a[0] - b[0])) {
    const input: InputMessage[] = msgs.map((m) => ({ offset: Number(m.offset), timestamp: Number(m.timestamp), key: m.key, value: m.value }));
    const { outputs } = processBatch(initialPartitionState(sc.raw, p), input, env);
    exp.alerts.push(...outputs.alerts.map((a) => alertKey(a)));
    exp.deadLetters.push(...outputs.deadLetters.map((d) => `${d.partition}:${d.offset}:${d.code}`));
    for (const w of outputs.windows) exp.objects.set(rollupObjectKey(cfg.s3.prefix, w.resolutionMs, p, w.windowStart), Buffer.from(encodeRollupParquet(w, p)));
  }
  exp.alerts.sort();
  exp.deadLetters.sort();
  return exp;
}

export function alertKey(a: { id: string; state: string; t: number; severity: string }): string {
  return `${a.t}|${a.id}|${a.state}|${a.severity}`;
}

/** What the runtime published: alerts and dead letters (read_committed) and the bucket's objects. */
export async function actual(sc: Scenario, exp: Expected): Promise<Expected> {
  const cfg = loadProcessorRuntimeConfig({ raw: sc.cfg });
  const alerts = [...(await readAll(cfg.kafka.alertsTopic, exp.alerts.length)).values()].flat();
  const dls = [...(await readAll(cfg.kafka.deadLetterTopic, exp.deadLetters.length)).values()].flat();
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
    deadLetters: dls
      .map((m) => codecs.deadLetter.decode(m.value!))
      .map((d) => `${d.partition}:${d.offset}:${d.code}`)
      .sort(),
    objects,
    messages: exp.messages,
    oldestTimestamp: Math.min(...[...alerts, ...dls].map((m) => Number(m.timestamp))),
  };
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

/** Messages of the raw topic not yet committed by the processor's group. */
export async function lagOf(sc: Scenario): Promise<number> {
  const cfg = loadProcessorRuntimeConfig({ raw: sc.cfg });
  const admin = kafkaClient('it-lag').admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(sc.raw);
    const committed = (await admin.fetchOffsets({ groupId: cfg.kafka.groupId, topics: [sc.raw] }))[0]!.partitions;
    return ends.reduce((s, e) => s + Math.max(0, Number(e.high) - Math.max(0, Number(committed.find((c) => c.partition === e.partition)?.offset ?? 0))), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Members of the processor's consumer group once it is stable (3 partitions: each member gets one). */
export async function activeMembers(sc: Scenario): Promise<number> {
  const cfg = loadProcessorRuntimeConfig({ raw: sc.cfg });
  const admin = kafkaClient('it-members').admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([cfg.kafka.groupId]);
    return groups[0]?.state === 'Stable' ? groups[0].members.length : 0;
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the group's committed offsets reach the end of every raw partition. */
export async function waitCaughtUp(sc: Scenario, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lag = await lagOf(sc);
    if (lag === 0) return;
    if (Date.now() > deadline) throw new Error(`processor still ${lag} messages behind after ${timeoutMs} ms`);
    await sleep(250);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `qmpipe processor --config FILE` as a child process (stderr kept for failures). */
export function spawnProcessor(sc: Scenario): ChildProcess & { logs: string[] } {
  const child = spawn(process.execPath, [join(root, 'bin', 'qmpipe.mjs'), 'processor', '--config', sc.configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  }) as ChildProcess & { logs: string[] };
  child.logs = [];
  child.stderr!.on('data', (d: Buffer) => {
    child.logs.push(d.toString());
    if (child.logs.length > 200) child.logs.shift();
  });
  return child;
}

export function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}
