/** The stack a benchmark talks to: the one in KAFKA_BROKERS / S3_* if set, else its own from infra/. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { installKafkajsRequestQueueGuard } from '#common/kafkajsRequestQueueGuard.js';
import { packageRoot } from '#common/paths.js';

export interface BenchStack {
  brokers: string[];
  s3: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  /** The broker's log dir (topic bytes on disk): our own stack's, or QMPIPE_BENCH_KAFKA_DATA_DIR. */
  kafkaDataDir: string | undefined;
  stop(): Promise<void>;
}

export async function benchStack(): Promise<BenchStack> {
  const e = process.env;
  if (e.KAFKA_BROKERS && e.S3_ENDPOINT && e.S3_ACCESS_KEY && e.S3_SECRET_KEY) {
    return {
      brokers: e.KAFKA_BROKERS.split(','),
      s3: { endpoint: e.S3_ENDPOINT, accessKeyId: e.S3_ACCESS_KEY, secretAccessKey: e.S3_SECRET_KEY },
      kafkaDataDir: e.QMPIPE_BENCH_KAFKA_DATA_DIR,
      stop: async () => {},
    };
  }
  const root = packageRoot();
  const env = { ...process.env, QMPIPE_RUN_DIR: join(root, '.run', `bench-${process.pid}`) };
  const up = spawnSync('bash', [join(root, 'infra', 'stack-up.sh')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  if (up.status !== 0) throw new Error('benchmark: infra/stack-up.sh failed');
  const vars = Object.fromEntries(
    readFileSync(join(env.QMPIPE_RUN_DIR, 'stack.env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    brokers: vars.KAFKA_BROKERS!.split(','),
    s3: { endpoint: vars.S3_ENDPOINT!, accessKeyId: vars.S3_ACCESS_KEY!, secretAccessKey: vars.S3_SECRET_KEY! },
    kafkaDataDir: join(env.QMPIPE_RUN_DIR, 'kafka', 'data'),
    stop: async () => {
      spawnSync('bash', [join(root, 'infra', 'stack-down.sh')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    },
  };
}

/**
 * Runs `fn` with the bench stack and a quiet kafkajs client on it (the request-queue guard
 * installed: the parent's clients must not spin beside the measured children), then stops
 * the stack.
 */
export async function withBenchKafka(fn: (s: BenchStack, kafka: kafkajs.Kafka) => Promise<void>): Promise<void> {
  const s = await benchStack();
  installKafkajsRequestQueueGuard();
  try {
    await fn(s, new kafkajs.Kafka({ brokers: s.brokers, logLevel: kafkajs.logLevel.NOTHING }));
  } finally {
    await s.stop();
  }
}
