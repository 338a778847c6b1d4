/**
 * A bounded FIFO of encoded records in front of the Kafka producer, so nothing is
 * lost while Kafka is unreachable, up to a bound.
 *
 *   push ─▶ memory (≤ memoryBytes) ──spill──▶ disk segments (≤ diskBytes) ──▶ peek/commit
 *
 * Order: records leave in push order (so per-VM order holds): the in-flight batch,
 * then disk segments oldest first, then memory. When memory is full it is written
 * as one segment file; when the disk bound is passed the oldest segment is deleted
 * (without a dir: the oldest records in memory are dropped). Every dropped record
 * is counted in `dropped` and reported through `onDrop`.
 *
 * `peek` hands out one batch and keeps returning that same batch until `commit`,
 * so a retried produce request carries exactly the same records (the idempotent
 * producer then dedupes). `persist` (shutdown) writes everything still queued,
 * in-flight batch first, to disk; a new Spool on the same dir picks it up.
 *
 * Durability (segmentFiles.ts, segment.ts): a segment is written to a temp file,
 * fsynced and renamed, and memory lets go of its records only once that succeeded; a
 * replaced segment is deleted only after its replacement is in place. Every record has
 * a checksum and every file name its record count, so a segment a crash left empty or
 * torn is counted, not silently short; a complete temp file is adopted. A write that
 * fails (ENOSPC, EIO) is counted as `disk-write-failed` drops and never thrown: the
 * spool then holds records in memory only (dropping the oldest past its bound) for
 * DISK_RETRY_MS, or until a segment was freed, before it tries the disk again.
 *
 * Memory lost at a kill (memoryMarker.ts): with a dir, the count of records held in
 * memory only is kept in a small file; a start that finds a count there (the process
 * died without `persist`) counts those records as dropped, reason `unclean-exit`.
 *
 * Not thread-safe by design: one event loop, one consumer (the publisher).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EntryFifo } from './entryFifo.js';
import { MemoryMarker, readMemoryMarker } from './memoryMarker.js';
import { decodeSegment, encodeSegment, entryBytes, type SpoolEntry } from './segment.js';
import { recoverSegments, rmQuietly, segmentName, writeDurably, type SegmentFile } from './segmentFiles.js';

export type { SpoolEntry } from './segment.js';

export interface SpoolOptions {
  memoryBytes: number;
  dir?: string | undefined;
  diskBytes: number;
  /** Called after records were dropped; `byKey` counts them per record key (VM uuid) when known. */
  onDrop?: (records: number, reason: DropReason, byKey: ReadonlyMap<string, number>) => void;
}

export type DropReason = 'memory-full' | 'disk-full' | 'corrupt-segment' | 'disk-write-failed' | 'unclean-exit';

/** After a failed segment write, how long the spool keeps to memory before it tries the disk again. */
export const DISK_RETRY_MS = 5_000;

type Segment = SegmentFile;

function countKeys(entries: readonly SpoolEntry[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of entries) m.set(e.key, (m.get(e.key) ?? 0) + 1);
  return m;
}

export class Spool {
  private readonly mem = new EntryFifo();
  /** The segment being read (peek takes from it before memory). */
  private readonly head = new EntryFifo();
  private headSeg: Segment | undefined;
  private readonly segments: Segment[] = [];
  private diskBytesUsed = 0;
  private inflight: SpoolEntry[] | undefined;
  private inflightBytes = 0;
  /** Whether the batch in flight came from the head segment (then it is still in that file, or in inflightSeg's). */
  private inflightFromHead = false;
  /** The segment file the batch in flight finished: deleted once the batch is acknowledged, not before. */
  private inflightSeg: Segment | undefined;
  /** Until when (epoch ms) the disk is not tried after a failed write. */
  private diskBlockedUntil = 0;
  /** The last failed write's error, for the caller's log line. */
  lastDiskError: string | undefined;
  /** Segment numbers start high so `persist` can name an older segment below them. */
  private nextSegment = 1_000_000_000;
  dropped = 0;
  /** The count of records in memory only, on disk for the next start (with a dir). */
  private readonly marker: MemoryMarker | undefined;

  constructor(private readonly opts: SpoolOptions) {
    if (!opts.dir) return;
    this.recover(opts.dir);
    const lost = readMemoryMarker(opts.dir);
    this.marker = new MemoryMarker(opts.dir);
    this.drop(lost, 'unclean-exit');
  }

  /** The directory of the segments; undefined for a memory-only spool. */
  get dir(): string | undefined {
    return this.opts.dir;
  }

  get records(): number {
    return (this.inflight?.length ?? 0) + this.head.length + this.segments.reduce((n, s) => n + s.records, 0) + this.mem.length;
  }

  get bytes(): number {
    return this.inflightBytes + this.head.bytes + this.diskBytesUsed + this.mem.bytes;
  }

  /** Records and bytes by tier, for metrics. */
  tiers(): { memory: { records: number; bytes: number }; disk: { records: number; bytes: number } } {
    const diskRecords = this.segments.reduce((n, s) => n + s.records, 0) + this.head.length;
    return {
      memory: { records: this.mem.length + (this.inflight?.length ?? 0), bytes: this.mem.bytes + this.inflightBytes },
      disk: { records: diskRecords, bytes: this.diskBytesUsed + this.head.bytes },
    };
  }

  push(e: SpoolEntry): void {
    this.mem.push(e);
    if (this.mem.bytes > this.opts.memoryBytes) this.relieveMemory();
    this.marker?.update(this.inMemoryOnly());
  }

  /** Records in no file: memory, and a batch in flight taken from memory. */
  private inMemoryOnly(): number {
    return this.mem.length + (this.inflight && !this.inflightFromHead ? this.inflight.length : 0);
  }

  /** The batch to send next (the same one until `commit`), or [] when empty. */
  peek(maxRecords: number, maxBytes: number): readonly SpoolEntry[] {
    if (this.inflight) return this.inflight;
    if (this.head.length === 0) this.loadNextHead();
    const fromHead = this.head.length > 0;
    const { batch, bytes } = (fromHead ? this.head : this.mem).take(maxRecords, maxBytes);
    if (batch.length === 0) return batch;
    if (fromHead && this.head.length === 0) {
      this.inflightSeg = this.headSeg; // its file goes when this batch is acknowledged
      this.clearHead();
    }
    this.inflight = batch;
    this.inflightBytes = bytes;
    this.inflightFromHead = fromHead;
    return batch;
  }

  /**
   * The batch from `peek` was acknowledged; with `n`, only its first `n` records (the
   * rest stay in flight: `peek` returns them next).
   */
  commit(n?: number): void {
    if (n !== undefined && this.inflight && n < this.inflight.length) {
      const done = this.inflight.slice(0, n);
      this.inflight = this.inflight.slice(n);
      this.inflightBytes -= done.reduce((b, e) => b + entryBytes(e), 0);
      this.marker?.update(this.inMemoryOnly());
      return;
    }
    this.inflight = undefined;
    this.inflightBytes = 0;
    if (this.inflightSeg) {
      rmQuietly(this.inflightSeg.path);
      this.diskBlockedUntil = 0; // room again on the disk: try it at the next spill
    }
    this.inflightSeg = undefined;
    this.marker?.update(this.inMemoryOnly());
  }

  /**
   * Writes everything queued (in-flight batch first) to disk, in order. No-op without a
   * dir. Never throws: what cannot be written is counted as dropped, except records
   * that are still in the head segment's file, which stays until its replacement exists.
   */
  persist(): void {
    if (!this.opts.dir) return;
    const rest: SpoolEntry[] = [...(this.inflight ?? []), ...this.head.rest()];
    if (rest.length > 0) {
      // Older than every segment on disk, the head's own included: a number that sorts first.
      const numbers = [this.inflightSeg, this.headSeg, this.segments[0]].flatMap((seg) => (seg ? [seg.number] : []));
      const first = numbers.length > 0 ? Math.min(...numbers) - 1 : this.nextSegment++;
      if (this.writeSegment(rest, Math.max(0, first), true)) {
        for (const seg of [this.headSeg, this.inflightSeg]) if (seg) rmQuietly(seg.path);
      } else if (this.inflight && !(this.inflightFromHead && (this.headSeg || this.inflightSeg))) {
        // The head's records (and a batch taken from it) stay in their files: those
        // already sent come back after a restart (duplicates, not loss). A batch taken
        // from memory, or from a head the disk bound deleted, is in no file.
        this.drop(this.inflight.length, 'disk-write-failed', countKeys(this.inflight));
      }
    }
    this.inflightSeg = undefined;
    this.inflight = undefined;
    this.inflightBytes = 0;
    this.clearHead();
    if (this.mem.length > 0) {
      const entries = this.mem.rest();
      this.mem.reset();
      if (!this.writeSegment(entries, this.nextSegment++, false)) this.drop(entries.length, 'disk-write-failed', countKeys(entries));
    }
    this.marker?.update(0); // on disk, or counted: nothing is lost if the process ends now
  }

  private relieveMemory(): void {
    if (this.opts.dir && Date.now() >= this.diskBlockedUntil) return this.spill();
    this.dropOldestInMemory(this.opts.dir ? 'disk-write-failed' : 'memory-full');
  }

  private dropOldestInMemory(reason: DropReason): void {
    const dropped = this.mem.shedTo(this.opts.memoryBytes);
    this.drop(dropped.length, reason, countKeys(dropped));
  }

  /** Memory → one segment. Memory lets go of the records only once the segment is written. */
  private spill(): void {
    const entries = this.mem.rest();
    if (!this.writeSegment(entries, this.nextSegment++, false)) {
      this.diskBlockedUntil = Date.now() + DISK_RETRY_MS;
      return this.dropOldestInMemory('disk-write-failed');
    }
    this.mem.reset();
    while (this.diskBytesUsed + this.head.bytes > this.opts.diskBytes && (this.headSeg || this.segments.length > 1)) this.dropOldestSegment();
  }

  /** Writes a segment durably; false (counted by the caller) when the disk refused it. */
  private writeSegment(entries: SpoolEntry[], n: number, front: boolean): boolean {
    const dir = this.opts.dir!;
    const name = segmentName(n, entries.length);
    const buf = encodeSegment(entries);
    try {
      writeDurably(dir, name, buf);
    } catch (err) {
      this.lastDiskError = (err as Error).message;
      return false;
    }
    const seg = { path: join(dir, name), number: n, records: entries.length, bytes: buf.length };
    if (front) this.segments.unshift(seg);
    else this.segments.push(seg);
    this.diskBytesUsed += seg.bytes;
    return true;
  }

  private dropOldestSegment(): void {
    if (this.headSeg) {
      const rest = this.head.rest();
      rmQuietly(this.headSeg.path);
      this.clearHead();
      return this.drop(rest.length, 'disk-full', countKeys(rest));
    }
    const seg = this.segments.shift()!;
    let byKey = new Map<string, number>();
    try {
      byKey = countKeys(decodeSegment(readFileSync(seg.path)).entries); // rare: read it to say whose records go
    } catch {
      /* unreadable: counted without keys */
    }
    rmQuietly(seg.path);
    this.diskBytesUsed -= seg.bytes;
    this.drop(seg.records, 'disk-full', byKey);
  }

  /** Loads the next segment that still holds records (files a crash emptied are removed on the way). */
  private loadNextHead(): void {
    while (this.segments.length > 0) {
      this.loadNextSegment();
      if (this.head.length > 0) return;
      if (this.headSeg) rmQuietly(this.headSeg.path);
      this.clearHead();
    }
  }

  private loadNextSegment(): void {
    const seg = this.segments.shift();
    if (!seg) return;
    this.diskBytesUsed -= seg.bytes;
    let buf: Buffer;
    try {
      buf = readFileSync(seg.path);
    } catch {
      rmQuietly(seg.path);
      return this.drop(seg.records, 'corrupt-segment');
    }
    const { entries } = decodeSegment(buf);
    if (entries.length < seg.records) this.drop(seg.records - entries.length, 'corrupt-segment');
    this.head.reset(entries);
    this.headSeg = seg;
  }

  private clearHead(): void {
    this.head.reset();
    this.headSeg = undefined;
  }

  private recover(dir: string): void {
    const found = recoverSegments(dir);
    for (const seg of found.segments) {
      this.segments.push(seg);
      this.diskBytesUsed += seg.bytes;
    }
    if (found.lost > 0) this.drop(found.lost, 'corrupt-segment');
    this.nextSegment = Math.max(this.nextSegment, found.nextNumber);
  }

  private drop(n: number, reason: DropReason, byKey: ReadonlyMap<string, number> = new Map()): void {
    if (n <= 0) return;
    this.dropped += n;
    this.opts.onDrop?.(n, reason, byKey);
  }
}
