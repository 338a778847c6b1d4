/**
 * The pipeline's topic layout, the one list of its topics and their configs, and their
 * creation when missing (existing ones are left alone). The processor creates what is
 * missing at start (`kafka.createTopics`), and `qmpipe topics create` does the same as a
 * deployment step (runtime/topicsCommand.ts).
 *
 * - raw: `message.timestamp.type=LogAppendTime` (schemas/src/topicConfigs.ts), the broker's
 *   clock, which the core measures every host's clock against (core/clock/skew.ts);
 * - writer schemas: compacted, one partition;
 * - checkpoints: compacted, one partition per raw-topic partition (checkpoints of input
 *   partition p live in its partition p);
 * - alerts (and rates, when on): one partition per raw-topic partition;
 * - dead letters: one partition;
 * - rollups (closed rollup windows, for the rollup writer): one partition per raw-topic partition.
 *
 * Replication: the broker's default (`default.replication.factor`) unless
 * `kafka.replicationFactor` names one (the single-broker local stack says 1).
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import type { ProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { BROKER_DEFAULT_REPLICATION, RAW_TOPIC_CONFIG, SCHEMA_TOPIC_CONFIG } from '#schemas/topicConfigs.js';

type KafkaSection = Pick<
  ProcessorRuntimeConfig['kafka'],
  | 'rawTopic'
  | 'schemaTopic'
  | 'checkpointTopic'
  | 'alertsTopic'
  | 'ratesTopic'
  | 'deadLetterTopic'
  | 'rollupsTopic'
  | 'checkpointMaxMessageBytes'
  | 'replicationFactor'
>;

/** Every topic of the pipeline as it is created, for a raw topic of `partitions` partitions. */
export function topicLayout(k: KafkaSection, partitions: number): ITopicConfig[] {
  const replicationFactor = k.replicationFactor ?? BROKER_DEFAULT_REPLICATION;
  const topic = (name: string, numPartitions: number, configEntries: ITopicConfig['configEntries'] = []): ITopicConfig => ({
    topic: name,
    numPartitions,
    replicationFactor,
    ...(configEntries.length > 0 ? { configEntries } : {}),
  });
  const layout = [
    topic(k.rawTopic, partitions, [...RAW_TOPIC_CONFIG]),
    topic(k.schemaTopic, 1, [...SCHEMA_TOPIC_CONFIG]),
    topic(k.checkpointTopic, partitions, [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'min.compaction.lag.ms', value: '0' },
      { name: 'max.message.bytes', value: String(k.checkpointMaxMessageBytes) },
    ]),
    topic(k.alertsTopic, partitions),
    topic(k.deadLetterTopic, 1),
    topic(k.rollupsTopic, partitions),
  ];
  if (k.ratesTopic !== 'off') layout.push(topic(k.ratesTopic, partitions));
  return layout;
}

export interface TopicPlan {
  /** Partitions of the raw topic: as it is, or as it will be created. */
  partitions: number;
  missing: ITopicConfig[];
  existing: string[];
}

/** What exists and what is missing (read only). */
export async function planTopics(admin: Admin, k: KafkaSection, rawPartitionsIfMissing: number): Promise<TopicPlan> {
  const existing = new Set(await admin.listTopics());
  const partitions = existing.has(k.rawTopic) ? await partitionCount(admin, k.rawTopic) : rawPartitionsIfMissing;
  const layout = topicLayout(k, partitions);
  return {
    partitions,
    missing: layout.filter((t) => !existing.has(t.topic)),
    existing: layout.filter((t) => existing.has(t.topic)).map((t) => t.topic),
  };
}

/** Creates the missing topics; returns the raw topic's partition count. */
export async function ensureProcessorTopics(admin: Admin, k: ProcessorRuntimeConfig['kafka'], rawPartitionsIfMissing = k.rawPartitions): Promise<number> {
  const plan = await planTopics(admin, k, rawPartitionsIfMissing);
  if (plan.missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: plan.missing });
  return plan.partitions;
}

export async function partitionCount(admin: Admin, topic: string): Promise<number> {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  return meta.topics[0]!.partitions.length;
}

/** One line per topic: `create NAME partitions=N replicationFactor=R|broker-default [name=value ...]`. */
export function describeTopic(t: ITopicConfig): string {
  const rf = t.replicationFactor === undefined || t.replicationFactor === BROKER_DEFAULT_REPLICATION ? 'broker-default' : String(t.replicationFactor);
  const entries = (t.configEntries ?? []).map((e) => ` ${e.name}=${e.value}`).join('');
  return `${t.topic} partitions=${t.numPartitions} replicationFactor=${rf}${entries}`;
}
