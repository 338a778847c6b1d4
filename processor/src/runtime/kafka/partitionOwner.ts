/**
 * What this instance holds for one input partition it owns: the transactional
 * producer that fences previous owners, the partition's state, the group's committed
 * offset (`committedOffset`: outputs of everything below it are published) and when
 * the state was last checkpointed. Between batches the state is the one at
 * `committedOffset`; after a failure the owner is dropped and re-taken.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from '#common/log.js';
import { retry } from '#common/retry.js';
import { describeError } from '#common/errors.js';
import { checkpointKey, decodeCheckpoint, isUnusableCheckpoint } from '../../partition/partitionCheckpoint.js';
import { initialPartitionState, type PartitionState } from '../../partition/partitionStep.js';
import { readCompacted } from '../../input/readCompacted.js';
import { createTransactionalProducer, transactionalId } from './transactions.js';

export interface PartitionOwner {
  partition: number;
  producer: Producer;
  state: PartitionState;
  /** The group's committed offset: messages below it were published; replaying them is silent. */
  committedOffset: number;
  /**
   * Wall-clock ms of the last checkpoint written, or of the take-over when the checkpoint
   * loaded is at the committed offset; 0 when the take-over replays (the checkpoint is older
   * than the committed offset): the first transaction then carries a checkpoint.
   */
  checkpointedAt: number;
}

export interface OwnerSettings {
  rawTopic: string;
  checkpointTopic: string;
  transactionalIdPrefix: string;
  checkpointMaxMessageBytes: number;
  groupId: string;
}

/**
 * Takes ownership of a partition: the producer first (it fences the previous owner and
 * aborts any transaction that owner left open, so the checkpoint and committed offset read
 * below are final: nothing the previous owner does later can commit), then the checkpoint.
 */
export async function takeOwnership(
  kafka: Kafka,
  s: OwnerSettings,
  partition: number,
  log: Logger,
  onUnusableCheckpoint: () => void = () => undefined,
): Promise<PartitionOwner> {
  const producer = await createTransactionalProducer(kafka, transactionalId(s.transactionalIdPrefix, s.rawTopic, partition));
  try {
    const found = (await readCompacted(kafka, s.checkpointTopic, { partitions: [partition], maxMessageBytes: s.checkpointMaxMessageBytes })).get(
      checkpointKey(s.rawTopic, partition),
    );
    let state = found?.value ? usableCheckpoint(found.value, s.rawTopic, partition, log, onUnusableCheckpoint) : initialPartitionState(s.rawTopic, partition);
    const committed = await committedOffsetOf(kafka, s, partition);
    if (!state) state = initialPartitionState(s.rawTopic, partition, committed ?? 0);
    const committedOffset = Math.max(committed ?? 0, state.nextOffset);
    log.info('partition owned', { partition, checkpointOffset: state.nextOffset, committedOffset, replaySilently: committedOffset - state.nextOffset });
    // A checkpoint behind the committed offset is already up to one interval old: were the
    // next one an interval from now, a partition moved twice in a row (instances joining one
    // after another) would replay nearly two intervals. Write one with the first transaction.
    const checkpointedAt = committedOffset > state.nextOffset ? 0 : Date.now();
    return { partition, producer, state, committedOffset, checkpointedAt };
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
}

/** The checkpoint's state, or null (logged, counted) when this release cannot use it. */
function usableCheckpoint(bytes: Buffer, topic: string, partition: number, log: Logger, onUnusable: () => void): PartitionState | null {
  try {
    return decodeCheckpoint(bytes, { topic, partition });
  } catch (err) {
    if (!isUnusableCheckpoint(err)) throw err;
    onUnusable();
    log.error(
      'checkpoint unusable by this release (written by a newer one, or damaged): the partition continues from its committed offset with an empty state',
      {
        partition,
        error: describeError(err),
      },
    );
    return null;
  }
}

/** kafkajs's own retriable protocol errors (NOT_COORDINATOR while the group's coordinator moves or loads), which admin.fetchOffsets does not retry. */
const kafkaRetriable = (err: unknown) => (err as { retriable?: unknown } | null)?.retriable === true;

/** The group's committed offset of a partition, or null when it has none. */
async function committedOffsetOf(kafka: Kafka, s: OwnerSettings, partition: number): Promise<number | null> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await retry(() => admin.fetchOffsets({ groupId: s.groupId, topics: [s.rawTopic] }), { shouldRetry: kafkaRetriable });
    const o = Number(t?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
    return o >= 0 ? o : null;
  } finally {
    await admin.disconnect();
  }
}
