/**
 * Creates the processor's topics when missing (existing ones are left alone): the
 * checkpoint topic is compacted and has one partition per raw-topic partition
 * (checkpoints of input partition p live in its partition p).
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import type { ProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';

export async function ensureProcessorTopics(admin: Admin, k: ProcessorRuntimeConfig['kafka'], rawPartitionsIfMissing = 6): Promise<number> {
  const existing = new Set(await admin.listTopics());
  const rf = k.replicationFactor;
  if (!existing.has(k.rawTopic)) {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: k.rawTopic, numPartitions: rawPartitionsIfMissing, replicationFactor: rf }] });
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
