/**
 * The rollup writer's pure part, per rollups-topic partition (a "lane"): which windows
 * the records read so far complete, and up to which offset the writer may commit.
 *
 *   feed(lane, offset, record)  → a window whose chunks are all in, or none; drops
 *   markStored(lane, window)    → the window's object is in S3
 *   passTo(lane, offset)        → offsets up to there held no record of ours (markers)
 *   committable(lane)           → the offset to commit: the first record of the oldest
 *                                 window not yet stored (open or complete), else the
 *                                 offset after the last record fed
 *
 * So a commit never passes a record whose object is not stored: a writer that dies
 * after a put and before its commit reads those records again and writes the same key
 * with the same bytes (idempotent). A window's chunks are consecutive among the records
 * of its raw-topic partition (one transaction publishes them in order), so a lane holds
 * at most one open window per raw-topic partition; a chunk that breaks that order (never
 * from the processor) drops what it interrupts, counted. A record below the lane's next
 * offset was fed already (kafkajs re-fetches after an unfinished batch): it is skipped.
 */
import type { RollupWindowRecord } from '#schemas/codecs/rollupWindows.js';
import type { ClosedWindow } from '../partition/rollupBuffer.js';
import { joinChunks, windowId } from './chunks.js';

interface OpenWindow {
  id: string;
  firstOffset: number;
  chunks: RollupWindowRecord[];
}

export interface Lane {
  /** By raw-topic partition: the window whose chunks are coming in. */
  open: Map<number, OpenWindow>;
  /** First offsets of the windows handed out and not yet stored. */
  unstored: Set<number>;
  /** The offset after the last record fed; null before the first. */
  nextOffset: number | null;
}

export interface CompleteWindow {
  id: string;
  /** Raw-topic partition of the rows. */
  partition: number;
  window: ClosedWindow;
  /** Offset of its first chunk: its handle in `markStored`. */
  firstOffset: number;
}

export type DropReason = 'undecodable' | 'incomplete-window' | 'orphan-chunk';

export interface FeedResult {
  complete: CompleteWindow | null;
  dropped: DropReason[];
}

export function emptyLane(): Lane {
  return { open: new Map(), unstored: new Set(), nextOffset: null };
}

/** One record of the lane, in offset order; `record` is null when it did not decode. */
export function feed(lane: Lane, offset: number, record: RollupWindowRecord | null): FeedResult {
  const out: FeedResult = { complete: null, dropped: [] };
  if (lane.nextOffset !== null && offset < lane.nextOffset) return out;
  lane.nextOffset = offset + 1;
  if (record === null) {
    out.dropped.push('undecodable');
    return out;
  }
  const id = windowId(record);
  let open = lane.open.get(record.partition);
  if (open && (open.id !== id || record.chunk !== open.chunks.length)) {
    lane.open.delete(record.partition);
    out.dropped.push('incomplete-window');
    open = undefined;
  }
  if (!open) {
    if (record.chunk !== 0 || record.chunks < 1) {
      out.dropped.push('orphan-chunk');
      return out;
    }
    open = { id, firstOffset: offset, chunks: [] };
    lane.open.set(record.partition, open);
  }
  open.chunks.push(record);
  if (open.chunks.length === record.chunks) {
    lane.open.delete(record.partition);
    lane.unstored.add(open.firstOffset);
    out.complete = { id, partition: record.partition, window: joinChunks(open.chunks), firstOffset: open.firstOffset };
  }
  return out;
}

/**
 * The records below `offset` the lane was not given are no rollup windows: transaction
 * markers, aborted records (a batch's last offset counts them, its messages do not).
 */
export function passTo(lane: Lane, offset: number): void {
  if (lane.nextOffset === null || offset > lane.nextOffset) lane.nextOffset = offset;
}

export function markStored(lane: Lane, w: Pick<CompleteWindow, 'firstOffset'>): void {
  lane.unstored.delete(w.firstOffset);
}

/** The offset the writer may commit for this lane; null before any record was fed. */
export function committable(lane: Lane): number | null {
  let min = lane.nextOffset;
  for (const o of lane.open.values()) if (min === null || o.firstOffset < min) min = o.firstOffset;
  for (const f of lane.unstored) if (min === null || f < min) min = f;
  return min;
}

/** Windows read and not yet stored (open or complete). */
export function pendingWindows(lane: Lane): number {
  return lane.open.size + lane.unstored.size;
}
