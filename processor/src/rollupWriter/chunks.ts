/**
 * Closed rollup window → rollups-topic records, and back.
 *
 * A window can hold many rows (every series of every VM of one raw-topic partition), so
 * it travels in chunks: at most `maxRows` rows and about `maxBytes` encoded bytes each,
 * well under the broker's default 1 MB message size. The chunks of one window are
 * published together, in order, in one transaction, keyed by the raw-topic partition, so
 * they are consecutive among that partition's records in one rollups-topic partition.
 */
import type { RollupWindowRecord } from '#schemas/codecs/rollupWindows.js';
import { fromRollupRow, rowBytesBound, toRollupRow } from '#schemas/codecs/rollupWindows.js';
import type { ClosedWindow } from '../partition/rollupBuffer.js';

export interface ChunkLimits {
  maxRows: number;
  maxBytes: number;
}

/** Header fields and array framing of one record, at their largest. */
const RECORD_OVERHEAD = 64;

/** One window of one raw-topic partition as its chunks; an empty window has none. */
export function windowChunks(partition: number, win: ClosedWindow, limits: ChunkLimits): RollupWindowRecord[] {
  const rows = win.rows.map(toRollupRow);
  const groups: (typeof rows)[] = [];
  let current: typeof rows = [];
  let bytes = RECORD_OVERHEAD;
  for (const row of rows) {
    const size = rowBytesBound(row);
    if (current.length > 0 && (current.length >= limits.maxRows || bytes + size > limits.maxBytes)) {
      groups.push(current);
      current = [];
      bytes = RECORD_OVERHEAD;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups.map((g, chunk) => ({ partition, resolutionMs: win.resolutionMs, windowStart: win.windowStart, chunk, chunks: groups.length, rows: g }));
}

/** The window a complete, ordered list of its chunks holds. */
export function joinChunks(chunks: readonly RollupWindowRecord[]): ClosedWindow {
  const first = chunks[0]!;
  return {
    resolutionMs: first.resolutionMs,
    windowStart: first.windowStart,
    rows: chunks.flatMap((c) => c.rows.map((r) => fromRollupRow(r, first.resolutionMs, first.windowStart))),
  };
}

/** Identifies a window across chunks: raw-topic partition, resolution, start. */
export function windowId(r: Pick<RollupWindowRecord, 'partition' | 'resolutionMs' | 'windowStart'>): string {
  return `${r.partition}:${r.resolutionMs}:${r.windowStart}`;
}
