/**
 * The `--kafka` source: the processor's rates and alerts topics, every host's VMs.
 * A thin kafkajs shell like alerts/src/alertSource.ts: read_committed (both topics are
 * written in the processor's transactions), from the beginning, a random consumer group
 * that commits nothing. "Caught up" is every partition of both topics read to the end
 * offset it had at start (END_BATCH_PROCESS also fires for batches of transaction markers).
 * Records that do not decode are counted (in the source's label, and one warning line
 * at the end), never fatal. There are no Samples here: chain
 * elements come from the block.<dev>.<i>.* gauges (no node or file name), QMP events are
 * not on these topics.
 */
import { randomBytes } from 'node:crypto';
import kafkajs, { type Consumer, type EachBatchPayload } from 'kafkajs';
import { loadConfig } from '#common/config.js';
import { QmpipeError } from '#common/errors.js';
import { kafkaClientConfig, kafkaLogCreator } from '#common/kafka.js';
import { createLogger } from '#common/log.js';
import { KAFKA_ENV } from '#schemas/config/env.js';
import { fromAlertRecord, outputCodecs } from '#schemas/codecs/outputs.js';
import { z } from 'zod';
import { applyAlert, applyRate, initialTopState, type TopState } from '../model/topState.js';

const KafkaFlags = z
  .object({
    kafka: z
      .object({
        brokers: z.array(z.string().regex(/^[^\s:,]+:\d+$/, 'host:port')).min(1, 'no Kafka brokers: give --brokers host:port[,..] or set QMPIPE_KAFKA_BROKERS'),
        sasl: z
          .object({ mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']), username: z.string(), password: z.string() })
          .strict()
          .optional(),
        tls: z.object({ caFile: z.string() }).strict().optional(),
      })
      .strict(),
    ratesTopic: z.string().min(1).default('qmpipe.rates'),
    alertsTopic: z.string().min(1).default('qmpipe.alerts'),
  })
  .strict();
export type KafkaFlags = z.infer<typeof KafkaFlags>;

/** --brokers, --rates-topic, --alerts-topic over the environment's Kafka settings (QMPIPE_KAFKA_*). */
export function parseKafkaFlags(
  v: { brokers?: string | undefined; 'rates-topic'?: string | undefined; 'alerts-topic'?: string | undefined },
  env: NodeJS.ProcessEnv,
): KafkaFlags {
  const overrides: Record<string, unknown> = {};
  if (v.brokers !== undefined) overrides['kafka.brokers'] = v.brokers.split(',').map((s) => s.trim());
  if (v['rates-topic'] !== undefined) overrides['ratesTopic'] = v['rates-topic'];
  if (v['alerts-topic'] !== undefined) overrides['alertsTopic'] = v['alerts-topic'];
  return loadConfig(KafkaFlags, 'top --kafka options', KAFKA_ENV, { raw: { kafka: { brokers: [] } }, env, overrides });
}

export interface KafkaSource {
  readonly label: string;
  readonly state: TopState;
  readonly undecodable: number;
  /** Resolves once both topics were read to their start-time ends. */
  readonly caughtUp: Promise<void>;
  stop(): Promise<void>;
}

export async function startKafkaSource(o: KafkaFlags, opts: { follow: boolean }): Promise<KafkaSource> {
  const log = createLogger({ command: 'top' });
  const kjs = log.child({ component: 'kafkajs' });
  const kafka = new kafkajs.Kafka(
    kafkaClientConfig(
      {
        clientId: 'qmpipe-top',
        brokers: o.kafka.brokers,
        connectionTimeoutMs: 3_000,
        requestTimeoutMs: 30_000,
        sasl: o.kafka.sasl,
        tls: o.kafka.tls && { ...o.kafka.tls, rejectUnauthorized: true },
      },
      kafkaLogCreator({ ...kjs, error: kjs.warn }),
    ),
  );
  const topics = [o.ratesTopic, o.alertsTopic];
  const admin = kafka.admin();
  const pending = new Map<string, number>();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    for (const t of topics) {
      if (!existing.has(t)) throw new QmpipeError('TOP_TOPIC_MISSING', `topic ${t} does not exist (the processor writes rates only with kafka.ratesTopic set)`);
      for (const p of await admin.fetchTopicOffsets(t)) if (Number(p.high) > Number(p.low)) pending.set(`${t}:${p.partition}`, Number(p.high));
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const state = initialTopState();
  const codecs = outputCodecs();
  let undecodable = 0;
  let markCaughtUp: () => void = () => {};
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  const check = (): void => {
    if (pending.size === 0) markCaughtUp();
  };
  const consumer: Consumer = kafka.consumer({
    groupId: `qmpipe-top-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 500,
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const key = `${payload.topic}:${payload.partition}`;
    const end = pending.get(key);
    if (end !== undefined && Number(payload.lastOffset) + 1 >= end) {
      pending.delete(key);
      check();
    }
  });
  const eachBatch = async ({ batch }: EachBatchPayload): Promise<void> => {
    const end = opts.follow ? Number.POSITIVE_INFINITY : (pending.get(`${batch.topic}:${batch.partition}`) ?? 0);
    for (const m of batch.messages) {
      if (!m.value || Number(m.offset) >= end) continue;
      try {
        if (batch.topic === o.ratesTopic) applyRate(state, codecs.rate.decode(m.value));
        else applyAlert(state, fromAlertRecord(codecs.alert.decode(m.value)));
      } catch {
        undecodable++;
      }
    }
  };
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatch });
  check();
  const label = `kafka ${o.kafka.brokers.join(',')}`;
  return {
    get label() {
      return undecodable > 0 ? `${label}, ${undecodable} undecodable skipped` : label;
    },
    state,
    get undecodable() {
      return undecodable;
    },
    caughtUp,
    stop: async () => {
      await consumer.disconnect().catch(() => {});
      if (undecodable > 0) log.warn('records that did not decode were skipped', { undecodable, topics });
    },
  };
}
