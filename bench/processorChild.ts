/** `qmpipe processor` as a child process for benchmarks, and how long it takes to commit a topic. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type kafkajs from 'kafkajs';
import { packageRoot } from '#common/paths.js';
import { schemaTopicMessage } from '#schemas/codecs/avro.js';
import { rawCodec } from '#schemas/codecs/raw.js';
import type { BenchStack } from './stack.js';
import type { CpuGroup } from './cgroup.js';

/** A running `qmpipe processor` child. */
export interface ProcessorChild {
  pid: number;
  /** SIGTERM (a clean stop: final checkpoints), resolved on exit. */
  stop(): Promise<void>;
  /** SIGKILL, resolved on exit. */
  kill(): Promise<void>;
  exited: Promise<never>;
}

export interface ChildOptions {
  /** A CPU cgroup the child is moved into right after it is spawned (bench/cgroup.ts). */
  cgroup?: CpuGroup;
  /** Each line of its stderr (its JSON log); without it, stderr is this process's. */
  onLine?: (line: string) => void;
}

/**
 * Starts `qmpipe processor` on `cfg`. QMPIPE_BENCH_CHILD_ARGS adds node flags (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/p`, which NODE_OPTIONS does not allow). `exited`
 * settles if the child dies before stop() or kill(), so a waiting benchmark fails at once.
 */
export function spawnProcessorChild(cfg: Record<string, unknown>, opts: ChildOptions = {}): ProcessorChild {
  const file = join(mkdtempSync(join(tmpdir(), 'qmpipe-bench-')), 'processor.json');
  writeFileSync(file, JSON.stringify(cfg));
  const extra = (process.env.QMPIPE_BENCH_CHILD_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, join(packageRoot(), 'bin', 'qmpipe.mjs'), 'processor', '--config', file], {
    stdio: ['ignore', 'ignore', opts.onLine ? 'pipe' : 'inherit'],
    env: { ...process.env, NODE_NO_WARNINGS: '1', NODE_OPTIONS: '--max-semi-space-size=32' },
  });
  opts.cgroup?.add(child.pid!);
  if (opts.onLine) createInterface({ input: child.stderr! }).on('line', opts.onLine);
  let stopping = false;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      if (!stopping) reject(new Error(`benchmark: processor child exited early (code ${code}, signal ${signal})`));
    }),
  );
  exited.catch(() => undefined); // observed by whoever races it
  const end = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  return { pid: child.pid!, exited, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

/**
 * Polls the group's committed offsets until `total` messages are committed. Returns the
 * seconds between 5 % and 100 % committed (start-up and group join excluded) and that
 * fraction (0.95 when measured so).
 */
export async function waitCommitted(
  kafka: kafkajs.Kafka,
  groupId: string,
  topic: string,
  total: number,
  timeoutMs: number,
): Promise<{ seconds: number; fraction: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  let t5: number | null = null;
  let n5 = 0;
  try {
    for (;;) {
      const parts = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions;
      const done = parts.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
      const now = performance.now();
      if (t5 === null && done >= total * 0.05) [t5, n5] = [now, done];
      if (done >= total && t5 !== null) return { seconds: (now - t5) / 1000, fraction: (total - n5) / total };
      if (Date.now() > deadline) throw new Error(`benchmark: ${done} of ${total} committed after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/** The config of a bench processor whose topics, group and bucket are all named after `id`. */
export function processorConfig(s: BenchStack, id: string): Record<string, unknown> {
  return {
    kafka: {
      brokers: s.brokers,
      rawTopic: `${id}-raw`,
      schemaTopic: `${id}-schemas`,
      groupId: `${id}-g`,
      alertsTopic: `${id}-alerts`,
      deadLetterTopic: `${id}-dlq`,
      checkpointTopic: `${id}-ck`,
      rollupsTopic: `${id}-rollups`,
      transactionalIdPrefix: id,
      replicationFactor: 1,
      maxBatchMessages: 5_000,
    },
    s3: { bucket: id, endpoint: s.s3.endpoint, forcePathStyle: true, accessKeyId: s.s3.accessKeyId, secretAccessKey: s.s3.secretAccessKey },
    rollupWriter: { groupId: `${id}-rw` },
    metrics: { listen: 'off' },
    log: { level: 'warn' },
  };
}

/** Creates the raw and schema topics and the bucket, registers the raw schema, produces `messages`; returns processorConfig. */
export async function processorTopics(
  s: BenchStack,
  kafka: kafkajs.Kafka,
  id: string,
  partitions: number,
  messages: kafkajs.Message[] = [],
): Promise<Record<string, unknown>> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: `${id}-raw`, numPartitions: partitions, replicationFactor: 1 },
      { topic: `${id}-schemas`, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
  });
  await admin.disconnect();
  await new S3Client({
    endpoint: s.s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s.s3.accessKeyId, secretAccessKey: s.s3.secretAccessKey },
  }).send(new CreateBucketCommand({ Bucket: id }));
  const p = kafka.producer();
  await p.connect();
  await p.send({ topic: `${id}-schemas`, messages: [schemaTopicMessage(rawCodec().type)] });
  for (let i = 0; i < messages.length; i += 2_000) await p.send({ topic: `${id}-raw`, messages: messages.slice(i, i + 2_000) });
  await p.disconnect();
  return processorConfig(s, id);
}
