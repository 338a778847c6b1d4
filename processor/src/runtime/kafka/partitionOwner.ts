/**
 * What this instance holds for one input partition it owns: the transactional
 * producer that fences previous owners, the partition's state (always equal to the
 * last committed checkpoint between batches), and that checkpoint's bytes, which
 * restore the state when a batch fails halfway.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from '../../../../common/src/log.js';
import { checkpointKey, decodeCheckpoint, encodeCheckpoint } from '../checkpoint.js';
import { initialPartitionState, type PartitionState } from '../partitionStep.js';
import { readCompacted } from './readCompacted.js';
import { createTransactionalProducer, transactionalId } from './transactions.js';

export interface PartitionOwner {
  partition: number;
  producer: Producer;
  state: PartitionState;
  committed: Buffer;
}

export interface OwnerSettings {
  rawTopic: string;
  checkpointTopic: string;
  transactionalIdPrefix: string;
  checkpointMaxMessageBytes: number;
}

/**
 * Takes ownership of a partition: the producer first (initTransactions aborts any
 * transaction a previous owner left open, so the checkpoint read below sees its
 * final committed state), then the checkpoint.
 */
export async function takeOwnership(kafka: Kafka, s: OwnerSettings, partition: number, log: Logger): Promise<PartitionOwner> {
  const producer = await createTransactionalProducer(kafka, transactionalId(s.transactionalIdPrefix, s.rawTopic, partition));
  try {
    const found = (await readCompacted(kafka, s.checkpointTopic, { partitions: [partition], maxMessageBytes: s.checkpointMaxMessageBytes })).get(checkpointKey(s.rawTopic, partition));
    const state = found?.value ? decodeCheckpoint(found.value, { topic: s.rawTopic, partition }) : initialPartitionState(s.rawTopic, partition);
    log.info('partition owned', { partition, nextOffset: state.nextOffset, checkpoint: found ? found.offset : null });
    return { partition, producer, state, committed: encodeCheckpoint(state) };
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
}

/** Puts the state back to the last committed checkpoint (after a failed batch). */
export function rollBack(owner: PartitionOwner, rawTopic: string): void {
  owner.state = decodeCheckpoint(owner.committed, { topic: rawTopic, partition: owner.partition });
}
