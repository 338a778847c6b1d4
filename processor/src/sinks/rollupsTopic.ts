/**
 * Sink (in the commit): the windows a batch closed become records of the rollups topic,
 * published inside the partition's Kafka transaction with its alerts and offsets, so no
 * output waits for S3. One window is one or more chunks (rollupWriter/chunks.ts), keyed by
 * the raw-topic partition: every window of one partition lands in one rollups-topic
 * partition, in order. The rollup writer (rollupWriter/writer.ts) turns them into objects.
 */
import type { Message } from 'kafkajs';
import { rollupWindowCodec } from '#schemas/codecs/rollupWindows.js';
import type { ClosedWindow } from '../partition/rollupBuffer.js';
import { type ChunkLimits, windowChunks } from '../rollupWriter/chunks.js';
import type { InCommitSink, TransactionSettings } from './sink.js';

export function rollupsTopicSink(t: TransactionSettings): InCommitSink {
  const limits = { maxRows: t.maxRowsPerRecord, maxBytes: t.maxRecordBytes };
  return {
    name: 'rollupsTopic',
    phase: 'inCommit',
    records: ({ partition, outputs }) => [{ topic: t.rollupsTopic, messages: rollupWindowMessages(partition, outputs.windows, limits) }],
  };
}

export function rollupWindowMessages(partition: number, windows: readonly ClosedWindow[], limits: ChunkLimits): Message[] {
  const codec = rollupWindowCodec();
  const key = String(partition);
  return windows.flatMap((w) => windowChunks(partition, w, limits).map((c) => ({ key, value: codec.encode(c) })));
}
