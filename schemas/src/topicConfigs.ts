/**
 * The topic configs the agent's two topics need, wherever they are created (the processor's
 * topic list, processor/src/runtime/kafka/topics.ts, or an agent told to create them):
 *
 * - raw: `message.timestamp.type=LogAppendTime`, the broker's clock stamps each message,
 *   the one clock the processor measures every host's clock against (codecs/sentAt.ts);
 * - writer schemas: compacted, one message per schema fingerprint, kept forever.
 *
 * Replication factor `-1` in a CreateTopics request is the broker's
 * `default.replication.factor`: a topic holds acknowledged data on as many brokers as the
 * cluster's operators chose, unless a config names a replication factor.
 */
export interface TopicConfigEntry {
  name: string;
  value: string;
}

export const RAW_TOPIC_CONFIG: readonly TopicConfigEntry[] = [{ name: 'message.timestamp.type', value: 'LogAppendTime' }];

export const SCHEMA_TOPIC_CONFIG: readonly TopicConfigEntry[] = [{ name: 'cleanup.policy', value: 'compact' }];

/** The broker's default replication factor, in a CreateTopics request. */
export const BROKER_DEFAULT_REPLICATION = -1;
