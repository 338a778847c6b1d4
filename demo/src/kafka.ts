/**
 * The demo's Kafka chores: create the run's raw and schema topics (the agent's and the
 * processor's own topics are created by them), wait until the processor's group has
 * committed every raw record (and its rollup writer every window), and produce a
 * recorded transcript (replay mode).
 */
import kafkajs, { type Kafka } from 'kafkajs';
import { QmpipeError } from '#common/errors.js';
import { replayFile } from '#tools/transcript/replay.js';
import { schemaTopicMessage } from '#schemas/codecs/avro.js';
import { encodeRaw, rawCodec } from '#schemas/codecs/raw.js';
import type { DemoNames, StackEnv } from './options.js';
import { brokers } from './options.js';

export function demoKafka(n: DemoNames, s: StackEnv): Kafka {
  return new kafkajs.Kafka({
    clientId: `${n.vm}-demo`,
    brokers: brokers(s),
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { initialRetryTime: 300, retries: 5, maxRetryTime: 5_000 },
  });
}

export async function createDemoTopics(kafka: Kafka, n: DemoNames): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: n.raw, numPartitions: 1, replicationFactor: 1 },
        { topic: n.schemas, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/** Resolves once the group's committed offsets reach the end of every raw partition; false on timeout. */
export async function waitCaughtUp(kafka: Kafka, group: string, topic: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline && !signal?.aborted) {
      const ends = await admin.fetchTopicOffsets(topic);
      const committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]?.partitions ?? [];
      const lag = ends.reduce(
        (sum, e) => sum + Math.max(0, Number(e.high) - Math.max(0, Number(committed.find((c) => c.partition === e.partition)?.offset ?? 0))),
        0,
      );
      if (lag === 0) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  } finally {
    await admin.disconnect();
  }
}

/**
 * After the processor caught up: waits (bounded) until the rollup writer, which runs in
 * the processor, has stored every window published; says so when it has not.
 */
export async function waitRollupsStored(
  ctx: { kafka: Kafka; names: DemoNames; say: (line: string) => void },
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  if (await waitCaughtUp(ctx.kafka, ctx.names.writerGroup, ctx.names.rollups, timeoutMs, signal)) return;
  ctx.say(`the rollup writer did not store every rollup window within ${timeoutMs / 1000} s (is S3 up?)`);
}

export interface ReplayProgress {
  produced: number;
  total: number;
  vm: string;
}

/**
 * Produces a transcript's records (the agent's sample building, `replayFile`) to the raw
 * topic keyed by VM uuid, with the writer schema on the schema topic first. `speed` 1
 * keeps the recorded pace, 0 sends everything at once. Stops early when `signal` aborts.
 */
export async function produceTranscript(
  kafka: Kafka,
  n: DemoNames,
  file: string,
  speed: number,
  signal: AbortSignal,
  progress: (p: ReplayProgress) => void,
): Promise<ReplayProgress> {
  const { records } = replayFile(file, { host: 'replay' });
  if (records.length === 0) throw new QmpipeError('DEMO_REPLAY_EMPTY', `${file}: the transcript yields no records`);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const p: ReplayProgress = { produced: 0, total: records.length, vm: records[0]!.vm.name };
  try {
    await producer.send({ topic: n.schemas, messages: [schemaTopicMessage(rawCodec().type)] });
    const t0 = records[0]!.t;
    const wall0 = Date.now();
    while (p.produced < records.length && !signal.aborted) {
      const due = speed === 0 ? records.length : records.findIndex((r, i) => i >= p.produced && wall0 + (r.t - t0) / speed > Date.now());
      const end = due < 0 ? records.length : due;
      if (end > p.produced) {
        const batch = records.slice(p.produced, end);
        await producer.send({ topic: n.raw, acks: -1, messages: batch.map((r) => ({ key: r.vm.uuid, value: encodeRaw(r) })) });
        p.produced = end;
        progress(p);
      }
      if (p.produced < records.length) await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await producer.disconnect();
  }
  return p;
}
