/**
 * Creates the processor's topics when missing (existing ones are left alone): the
 * checkpoint topic is compacted and has one partition per raw-topic partition
 * (checkpoints of input partition p live in its partition p). The raw topic stamps each
 * message with the broker's append time (message.timestamp.type=LogAppendTime): the one
 * clock the core measures every host's clock against (core/clock/skew.ts).
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import type { ProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';

export async function ensureProcessorTopics(admin: Admin, k: ProcessorRuntimeConfig['kafka'], rawPartitionsIfMissing = 6): Promise<number> {
  const existing = new Set(await admin.listTopics());
  const rf = k.replicationFactor;
  if (!existing.has(k.rawTopic)) {
    await admin.createTopics({ waitForLeaders: true, topics: [rawTopicConfig(k.rawTopic, rawPartitionsIfMissing, rf)] });
  }
  const meta = await admin.fetchTopicMetadata({ topics: [k.rawTopic] });
  const partitions = meta.topics[0]!.partitions.length;
  const wanted: ITopicConfig[] = [
    {
      topic: k.checkpointTopic,
      numPartitions: partitions,
      replicationFactor: rf,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'min.compaction.lag.ms', value: '0' },
        { name: 'max.message.bytes', value: String(k.checkpointMaxMessageBytes) },
      ],
    },
    { topic: k.alertsTopic, numPartitions: partitions, replicationFactor: rf },
    { topic: k.deadLetterTopic, numPartitions: 1, replicationFactor: rf },
  ];
  if (k.ratesTopic !== 'off') wanted.push({ topic: k.ratesTopic, numPartitions: partitions, replicationFactor: rf });
  const missing = wanted.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: missing });
  return partitions;
}

/** The raw topic as the processor creates it when missing. */
export function rawTopicConfig(topic: string, numPartitions: number, replicationFactor: number): ITopicConfig {
  return { topic, numPartitions, replicationFactor, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] };
}
