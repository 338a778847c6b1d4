/**
 * The Lambda handler, invoked with Kafka events built from records actually read
 * from the real broker, writing to the real S3Proxy and publishing alerts to the real
 * broker. However the stream is split across invocations (and even when Lambda
 * redelivers a batch), the alerts and rollup objects equal one long run's.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { decodeRaw } from '#schemas/codecs/raw.js';
import { createCore } from '#processor/core/step.js';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { parquetRollupSink } from '#processor/sinks/parquetRollups.js';
import { createS3Client, S3ObjectStore, S3StoreError } from '#processor/sinks/s3Store.js';
import { toKafkaEvent, type PartitionBatch } from '#processor/lambda/event.js';
import { invoke, type InvokeDeps } from '#processor/lambda/invoke.js';
import { kafkaAlertPublisher } from '#processor/lambda/handler.js';
import { kafkaClient, randomName, s3Client, stack } from './helpers/index.js';
import { actual, fleetRecords, newScenario, produce, readAll, reference, type Expected, type Scenario } from './processor-support.js';

let sc: Scenario;
let exp: Expected;
let byPartition: Map<number, KafkaMessage[]>;
const records = fleetRecords(6);

beforeAll(async () => {
  sc = await newScenario('lambda');
  await produce(sc, records, [Math.floor(records.length / 3)]);
  exp = await reference(sc);
  byPartition = await readAll(sc.raw);
});

async function depsFor(bucket: string, alertsTopic: string): Promise<InvokeDeps & { close: () => Promise<void> }> {
  const s = stack();
  await s3Client().send(new CreateBucketCommand({ Bucket: bucket }));
  const admin = kafkaClient('it-lambda-admin').admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: alertsTopic, numPartitions: 3, replicationFactor: 1 }] });
  await admin.disconnect();
  const store = new S3ObjectStore(
    createS3Client({
      bucket,
      endpoint: s.s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: s.s3.accessKeyId,
      secretAccessKey: s.s3.secretAccessKey,
    }),
    bucket,
  );
  const producer = kafkaClient('it-lambda').producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const cfg = loadProcessorRuntimeConfig({ raw: sc.cfg });
  return {
    env: { core: createCore(cfg.core), decode: decodeRaw, allowedLatenessMs: cfg.rollups.allowedLatenessMs },
    store,
    sinks: [parquetRollupSink(store, cfg.s3.prefix)],
    alerts: kafkaAlertPublisher(producer, alertsTopic),
    checkpointPrefix: 'checkpoints',
    deadLetterPrefix: 'deadletters',
    close: () => producer.disconnect(),
  };
}

/** Splits each partition's messages into events of `size(i)` messages, partitions interleaved. */
function events(size: (i: number) => number): unknown[] {
  const cursors = [...byPartition].map(([p, ms]) => ({ p, ms, at: 0 }));
  const out: unknown[] = [];
  for (let i = 0; cursors.some((c) => c.at < c.ms.length); i++) {
    const batches: PartitionBatch[] = [];
    for (const c of cursors) {
      if (c.at >= c.ms.length) continue;
      const n = Math.max(1, size(i));
      batches.push({
        topic: sc.raw,
        partition: c.p,
        messages: c.ms.slice(c.at, c.at + n).map((m) => ({ offset: Number(m.offset), timestamp: Number(m.timestamp), key: m.key, value: m.value })),
      });
      c.at += n;
    }
    out.push(JSON.parse(JSON.stringify(toKafkaEvent(batches, stack().kafkaBrokers.join(',')))));
  }
  return out;
}

async function runSplit(name: string, evs: unknown[], redeliver = false): Promise<void> {
  const bucket = randomName(`lambda-${name}`);
  const alertsTopic = `${bucket}-alerts`;
  const deps = await depsFor(bucket, alertsTopic);
  try {
    for (const ev of evs) {
      await invoke(ev, deps);
      if (redeliver) await invoke(ev, deps);
    }
  } finally {
    await deps.close();
  }
  const view: Scenario = { ...sc, bucket, cfg: { ...sc.cfg, kafka: { ...sc.cfg.kafka, alertsTopic, deadLetterTopic: sc.cfg.kafka.deadLetterTopic } } };
  const got = await actual(view); // the Lambda handler dead-letters to S3: its scenario has no dead-letter topic
  const rollupKeys = [...got.objects.keys()].filter((k) => k.startsWith('rollups/')).sort();
  expect(got.alerts).toEqual(exp.alerts);
  expect(rollupKeys).toEqual([...exp.objects.keys()].sort());
  for (const [k, v] of exp.objects) expect(got.objects.get(k)?.equals(v), k).toBe(true);
  expect([...got.objects.keys()].filter((k) => k.startsWith('deadletters/'))).toHaveLength(1);
  console.log(
    `[processor-lambda] ${name}: ${evs.length} invocations${redeliver ? ' (each delivered twice)' : ''} → ${exp.alerts.length} alert transitions, ${rollupKeys.length} rollup objects, as one long run`,
  );
}

describe('Lambda handler on events from the real broker', () => {
  it('one event with the whole stream', () =>
    runSplit(
      'whole',
      events(() => 1_000_000),
    ));
  it('events of 7 messages per partition', () =>
    runSplit(
      'seven',
      events(() => 7),
    ));
  it('events of random sizes, each delivered twice (at-least-once)', () =>
    runSplit(
      'random',
      events(() => 1 + Math.floor(Math.random() * 60)),
      true,
    ));

  it('two invocations racing on one partition: the conditional checkpoint write lets only one win', async () => {
    // B loads the checkpoint, then A runs to completion, then B tries to save: B must lose.
    // (The interleaving is forced through the store interface: S3Proxy checks preconditions
    // before writing without a lock, so two truly simultaneous PUTs can both pass there,
    // whereas AWS S3 serializes them.)
    const bucket = randomName('lambda-race');
    const deps = await depsFor(bucket, `${bucket}-alerts`);
    try {
      const [p, ms] = [...byPartition].sort((x, y) => y[1].length - x[1].length)[0]!;
      const ev = toKafkaEvent([
        {
          topic: sc.raw,
          partition: p,
          messages: ms.slice(0, 40).map((m) => ({ offset: Number(m.offset), timestamp: Number(m.timestamp), key: m.key, value: m.value })),
        },
      ]);
      const first = await invoke(ev, deps);
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let loaded!: () => void;
      const bLoaded = new Promise<void>((r) => {
        loaded = r;
      });
      const slowStore = {
        ...deps.store,
        put: deps.store.put.bind(deps.store),
        list: deps.store.list.bind(deps.store),
        putIfMatch: deps.store.putIfMatch.bind(deps.store),
        get: async (k: string) => {
          const v = await deps.store.get(k);
          loaded();
          await gate;
          return v;
        },
      };
      const next = toKafkaEvent([
        {
          topic: sc.raw,
          partition: p,
          messages: ms.slice(40, 80).map((m) => ({ offset: Number(m.offset), timestamp: Number(m.timestamp), key: m.key, value: m.value })),
        },
      ]);
      const b = invoke(next, { ...deps, store: slowStore });
      await bLoaded;
      const a = await invoke(next, deps);
      release();
      const err = await b.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(S3StoreError);
      expect((err as S3StoreError).code).toBe('S3_PRECONDITION_FAILED');
      expect(a[0]!.nextOffset).toBe(Number(ms[79]!.offset) + 1);
      expect(first[0]!.nextOffset).toBe(Number(ms[39]!.offset) + 1);
      const list = await s3Client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'checkpoints/' }));
      expect(list.Contents).toHaveLength(1);
      const ck = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: list.Contents![0]!.Key! }));
      expect((await ck.Body!.transformToByteArray()).length).toBeGreaterThan(9);
    } finally {
      await deps.close();
    }
  });
});
