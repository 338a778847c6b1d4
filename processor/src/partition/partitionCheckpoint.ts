/**
 * Partition checkpoints: everything a new owner of an input partition needs to
 * continue exactly where the last committed batch ended. Written to the compacted
 * checkpoint topic (Kafka runtime, in the same transaction as outputs and offsets)
 * or to S3 with a conditional write (Lambda handler).
 *
 *   "QMPC" | u8 version (1) | u32 LE header length | gzip(header JSON) | core checkpoint
 *
 * The header holds the envelope (topic, partition, nextOffset, dead-letter count)
 * and the rollup buffer's pending rows; the core state uses the core's own compact
 * binary checkpoint (processor/src/core/state/stateCodec.ts).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { QmpipeError } from '#common/errors.js';
import { CheckpointFormatError, restoreCheckpoint, serializeCheckpoint } from '../core/state/stateCodec.js';
import type { PartitionState } from './partitionStep.js';

const MAGIC = Buffer.from('QMPC', 'ascii');
const VERSION = 1;

export class CheckpointError extends QmpipeError {
  constructor(message: string, cause?: unknown, context: Record<string, unknown> = {}) {
    super('CHECKPOINT_INVALID', message, { retriable: false, cause, context });
  }
}

export function encodeCheckpoint(state: PartitionState): Buffer {
  const { core, ...envelope } = state;
  const header = gzipSync(Buffer.from(JSON.stringify(envelope), 'utf8'));
  const head = Buffer.alloc(9);
  MAGIC.copy(head, 0);
  head[4] = VERSION;
  head.writeUInt32LE(header.length, 5);
  return Buffer.concat([head, header, serializeCheckpoint(core)]);
}

export function decodeCheckpoint(bytes: Buffer, expect: { topic: string; partition: number }): PartitionState {
  const where = `${expect.topic}[${expect.partition}]`;
  if (bytes.length < 9 || !bytes.subarray(0, 4).equals(MAGIC))
    throw new CheckpointError(`checkpoint for ${where} is not a qmpipe checkpoint`, undefined, expect);
  if (bytes[4] !== VERSION) throw new CheckpointError(`checkpoint for ${where} has version ${bytes[4]}, this build reads ${VERSION}`, undefined, expect);
  const len = bytes.readUInt32LE(5);
  let envelope: Omit<PartitionState, 'core'>;
  try {
    envelope = JSON.parse(gunzipSync(bytes.subarray(9, 9 + len)).toString('utf8')) as Omit<PartitionState, 'core'>;
  } catch (cause) {
    throw new CheckpointError(`checkpoint for ${where} has a corrupt header`, cause, expect);
  }
  if (envelope.topic !== expect.topic || envelope.partition !== expect.partition) {
    throw new CheckpointError(`checkpoint belongs to ${envelope.topic}[${envelope.partition}], not ${where}`, undefined, expect);
  }
  const core = restoreCheckpoint(bytes.subarray(9 + len));
  // Rollup rows pending in a checkpoint of an older release carry no host: unknown, not ''.
  for (const rows of Object.values(envelope.rollups.pending)) for (const r of rows) r.host ??= null;
  return { ...envelope, core };
}

/**
 * Whether a decode failure means "this release cannot use that checkpoint" (written by a
 * newer release, or damaged): the partition then starts again from its committed offset
 * with an empty state, rather than failing every take-over.
 */
export function isUnusableCheckpoint(err: unknown): boolean {
  return err instanceof CheckpointError || err instanceof CheckpointFormatError;
}

/** The checkpoint topic's message key for an input partition. */
export function checkpointKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}
