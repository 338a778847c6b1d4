/**
 * Partition checkpoints: the whole PartitionState (core state, open rollup rows,
 * next offset) as gzip-compressed JSON. Written to the compacted checkpoint topic
 * (Kafka runtime, in the same transaction as outputs and offsets) or to S3 with a
 * conditional write (Lambda handler). A restored state continues exactly like the
 * original because the state is plain JSON and the core keeps nothing else.
 *
 *   bytes: gzip( JSON {"v":1,"topic","partition","nextOffset","core","rollups","deadLetters"} )
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { QmpipeError } from '../../../common/src/errors.js';
import type { PartitionState } from './partitionStep.js';

export class CheckpointError extends QmpipeError {
  constructor(message: string, cause?: unknown, context: Record<string, unknown> = {}) {
    super('CHECKPOINT_INVALID', message, { retriable: false, cause, context });
  }
}

export function encodeCheckpoint(state: PartitionState): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(state), 'utf8'), { level: 6 });
}

export function decodeCheckpoint(bytes: Buffer, expect: { topic: string; partition: number }): PartitionState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(gunzipSync(bytes).toString('utf8'));
  } catch (cause) {
    throw new CheckpointError(`checkpoint for ${expect.topic}[${expect.partition}] is not gzip JSON`, cause, expect);
  }
  const s = parsed as Partial<PartitionState> | null;
  if (!s || s.v !== 1 || typeof s.nextOffset !== 'number' || !s.core || !s.rollups) {
    throw new CheckpointError(`checkpoint for ${expect.topic}[${expect.partition}] has an unknown layout`, undefined, expect);
  }
  if (s.topic !== expect.topic || s.partition !== expect.partition) {
    throw new CheckpointError(`checkpoint belongs to ${s.topic}[${s.partition}], not ${expect.topic}[${expect.partition}]`, undefined, expect);
  }
  return s as PartitionState;
}

/** The checkpoint topic's message key for an input partition. */
export function checkpointKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}
