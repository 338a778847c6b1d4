/**
 * The agent's producer and topics, pure. Producer settings and why:
 *
 * - `idempotent: true` with `acks: -1` (all): kafkajs refuses other acks for an
 *   idempotent producer (messageProducer.js) and the broker dedupes retries by
 *   producer id + per-partition sequence.
 * - `maxInFlightRequests: 1`: kafkajs does not implement the client-side sequence
 *   re-assignment that KIP-98 / KAFKA-5494 need for up to 5 in-flight idempotent
 *   requests (kafkajs PR #980 was declined for that reason), so one request at a
 *   time keeps order and dedupe sound. The publisher also sends one batch at a time.
 * - kafkajs retries are bounded so a dead broker surfaces as an error the publisher
 *   can see; the publisher then re-sends the *same* batch (the spool's stable
 *   in-flight batch), and kafkajs rolls its sequence back on a failed request
 *   (sendMessages.js), so the re-send reuses the sequence numbers and is deduped.
 * - gzip; batching comes from the spool's linger (kafkajs has no linger.ms).
 */
import { Partitioners, type ITopicConfig, type ProducerConfig } from 'kafkajs';
import type { AgentConfig } from '#schemas/config/agent.js';
import { BROKER_DEFAULT_REPLICATION, RAW_TOPIC_CONFIG, SCHEMA_TOPIC_CONFIG } from '#schemas/topicConfigs.js';

/** Connection settings (brokers, TLS, SASL) → kafkajs: shared with the processor. */
export { kafkaClientConfig } from '#common/kafka.js';

type KafkaCfg = AgentConfig['kafka'];

export const producerConfig: ProducerConfig = {
  // murmur2 of the key, like the Java client: consumers in any language agree on the partition of a VM.
  createPartitioner: Partitioners.DefaultPartitioner,
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  retry: { initialRetryTime: 300, retries: 5, maxRetryTime: 5_000, factor: 0.2, multiplier: 2 },
};

/**
 * Topics created on start with `kafka.createTopics` on: the raw union topic (the broker's
 * append time, schemas/src/topicConfigs.ts) and the compacted writer-schema topic, as the
 * processor's topic list has them (processor/src/runtime/kafka/topics.ts).
 */
export function topicsToCreate(cfg: KafkaCfg): ITopicConfig[] {
  const replicationFactor = cfg.replicationFactor ?? BROKER_DEFAULT_REPLICATION;
  return [
    { topic: cfg.rawTopic, numPartitions: cfg.partitions, replicationFactor, configEntries: [...RAW_TOPIC_CONFIG] },
    { topic: cfg.schemaTopic, numPartitions: 1, replicationFactor, configEntries: [...SCHEMA_TOPIC_CONFIG] },
  ];
}

/** The agent's topics do not exist and it is not to create them (kafka.createTopics off). */
export class TopicsMissingError extends Error {
  static readonly howTo = "create them with 'qmpipe topics create --config processor.json', or start the processor (it creates what is missing)";
  constructor(readonly topics: string[]) {
    super(`topics missing: ${topics.join(', ')}: ${TopicsMissingError.howTo}`);
    this.name = 'TopicsMissingError';
  }
}
