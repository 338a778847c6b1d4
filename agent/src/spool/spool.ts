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
 * Not thread-safe by design: one event loop, one consumer (the publisher).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSegment, encodeSegment, entryBytes, type SpoolEntry } from './segment.js';

export type { SpoolEntry } from './segment.js';

export interface SpoolOptions {
  memoryBytes: number;
  dir?: string | undefined;
  diskBytes: number;
  /** Called after records were dropped; `byKey` counts them per record key (VM uuid) when known. */
  onDrop?: (records: number, reason: DropReason, byKey: ReadonlyMap<string, number>) => void;
}

export type DropReason = 'memory-full' | 'disk-full' | 'corrupt-segment';

interface Segment {
  path: string;
  records: number;
  bytes: number;
}

function countKeys(entries: readonly SpoolEntry[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of entries) m.set(e.key, (m.get(e.key) ?? 0) + 1);
  return m;
}

const SEG = /^seg-(\d{16})\.bin$/;

export class Spool {
  private mem: SpoolEntry[] = [];
  private memStart = 0;
  private memBytes = 0;
  private head: SpoolEntry[] = [];
  private headStart = 0;
  private headBytes = 0;
  private headSeg: Segment | undefined;
  private readonly segments: Segment[] = [];
  private diskBytesUsed = 0;
  private inflight: SpoolEntry[] | undefined;
  private inflightBytes = 0;
  /** Segment numbers start high so `persist` can name an older segment below them. */
  private nextSegment = 1_000_000_000;
  dropped = 0;

  constructor(private readonly opts: SpoolOptions) {
    if (opts.dir) this.recover(opts.dir);
  }

  get records(): number {
    return (
      (this.inflight?.length ?? 0) + (this.head.length - this.headStart) + this.segments.reduce((n, s) => n + s.records, 0) + (this.mem.length - this.memStart)
    );
  }

  get bytes(): number {
    return this.inflightBytes + this.headBytes + this.diskBytesUsed + this.memBytes;
  }

  /** Records and bytes by tier, for metrics. */
  tiers(): { memory: { records: number; bytes: number }; disk: { records: number; bytes: number } } {
    const diskRecords = this.segments.reduce((n, s) => n + s.records, 0) + (this.head.length - this.headStart);
    return {
      memory: { records: this.mem.length - this.memStart + (this.inflight?.length ?? 0), bytes: this.memBytes + this.inflightBytes },
      disk: { records: diskRecords, bytes: this.diskBytesUsed + this.headBytes },
    };
  }

  push(e: SpoolEntry): void {
    this.mem.push(e);
    this.memBytes += entryBytes(e);
    if (this.memBytes > this.opts.memoryBytes) this.relieveMemory();
  }

  /** The batch to send next (the same one until `commit`), or [] when empty. */
  peek(maxRecords: number, maxBytes: number): readonly SpoolEntry[] {
    if (this.inflight) return this.inflight;
    if (this.headStart >= this.head.length) this.loadNextSegment();
    const fromHead = this.headStart < this.head.length;
    const src = fromHead ? this.head : this.mem;
    let i = fromHead ? this.headStart : this.memStart;
    const batch: SpoolEntry[] = [];
    let bytes = 0;
    while (i < src.length && batch.length < maxRecords) {
      const b = entryBytes(src[i]!);
      if (batch.length > 0 && bytes + b > maxBytes) break;
      batch.push(src[i]!);
      bytes += b;
      i++;
    }
    if (batch.length === 0) return batch;
    if (fromHead) {
      this.headStart = i;
      this.headBytes -= bytes;
      if (this.headStart >= this.head.length) this.finishHead();
    } else {
      this.memStart = i;
      this.memBytes -= bytes;
      this.compactMem();
    }
    this.inflight = batch;
    this.inflightBytes = bytes;
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
      return;
    }
    this.inflight = undefined;
    this.inflightBytes = 0;
  }

  /** Writes everything queued (in-flight batch first) to disk, in order. No-op without a dir. */
  persist(): void {
    if (!this.opts.dir) return;
    const rest: SpoolEntry[] = [...(this.inflight ?? []), ...this.head.slice(this.headStart)];
    if (rest.length > 0) {
      // Older than every segment on disk: give it a name that sorts first.
      const first = this.segments[0] ? Number(SEG.exec(this.segments[0].path.split('/').pop()!)![1]) - 1 : this.nextSegment++;
      if (this.headSeg) rmSync(this.headSeg.path, { force: true });
      this.writeSegment(rest, Math.max(0, first), true);
    }
    this.inflight = undefined;
    this.inflightBytes = 0;
    this.head = [];
    this.headStart = 0;
    this.headBytes = 0;
    this.headSeg = undefined;
    if (this.mem.length > this.memStart) this.spill();
  }

  private relieveMemory(): void {
    if (this.opts.dir) return this.spill();
    const dropped: SpoolEntry[] = [];
    while (this.memBytes > this.opts.memoryBytes && this.memStart < this.mem.length) {
      const e = this.mem[this.memStart++]!;
      this.memBytes -= entryBytes(e);
      dropped.push(e);
    }
    this.compactMem();
    this.drop(dropped.length, 'memory-full', countKeys(dropped));
  }

  private spill(): void {
    const entries = this.mem.slice(this.memStart);
    this.mem = [];
    this.memStart = 0;
    this.memBytes = 0;
    this.writeSegment(entries, this.nextSegment++, false);
    while (this.diskBytesUsed + this.headBytes > this.opts.diskBytes && (this.headSeg || this.segments.length > 1)) this.dropOldestSegment();
  }

  private writeSegment(entries: SpoolEntry[], n: number, front: boolean): void {
    const dir = this.opts.dir!;
    const path = join(dir, `seg-${String(n).padStart(16, '0')}.bin`);
    const buf = encodeSegment(entries);
    writeFileSync(`${path}.tmp`, buf);
    renameSync(`${path}.tmp`, path);
    const seg = { path, records: entries.length, bytes: buf.length };
    if (front) this.segments.unshift(seg);
    else this.segments.push(seg);
    this.diskBytesUsed += seg.bytes;
  }

  private dropOldestSegment(): void {
    if (this.headSeg) {
      const rest = this.head.slice(this.headStart);
      rmSync(this.headSeg.path, { force: true });
      this.head = [];
      this.headStart = 0;
      this.headBytes = 0;
      this.headSeg = undefined;
      return this.drop(rest.length, 'disk-full', countKeys(rest));
    }
    const seg = this.segments.shift()!;
    let byKey = new Map<string, number>();
    try {
      byKey = countKeys(decodeSegment(readFileSync(seg.path)).entries); // rare: read it to say whose records go
    } catch {
      /* unreadable: counted without keys */
    }
    rmSync(seg.path, { force: true });
    this.diskBytesUsed -= seg.bytes;
    this.drop(seg.records, 'disk-full', byKey);
  }

  private loadNextSegment(): void {
    const seg = this.segments.shift();
    if (!seg) return;
    this.diskBytesUsed -= seg.bytes;
    let buf: Buffer;
    try {
      buf = readFileSync(seg.path);
    } catch {
      return this.drop(seg.records, 'corrupt-segment');
    }
    const { entries } = decodeSegment(buf);
    if (entries.length < seg.records) this.drop(seg.records - entries.length, 'corrupt-segment');
    this.head = entries;
    this.headStart = 0;
    this.headBytes = entries.reduce((n, e) => n + entryBytes(e), 0);
    this.headSeg = seg;
  }

  private finishHead(): void {
    if (this.headSeg) rmSync(this.headSeg.path, { force: true });
    this.head = [];
    this.headStart = 0;
    this.headBytes = 0;
    this.headSeg = undefined;
  }

  private compactMem(): void {
    if (this.memStart > 1024 && this.memStart * 2 > this.mem.length) {
      this.mem = this.mem.slice(this.memStart);
      this.memStart = 0;
    }
  }

  private recover(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const names = readdirSync(dir)
      .filter((f) => SEG.test(f))
      .sort();
    for (const f of readdirSync(dir)) if (f.endsWith('.tmp')) rmSync(join(dir, f), { force: true });
    for (const name of names) {
      const path = join(dir, name);
      const buf = readFileSync(path);
      const { entries, truncated } = decodeSegment(buf);
      if (truncated) this.drop(1, 'corrupt-segment');
      this.segments.push({ path, records: entries.length, bytes: buf.length });
      this.diskBytesUsed += buf.length;
      this.nextSegment = Number(SEG.exec(name)![1]) + 1;
    }
  }

  private drop(n: number, reason: DropReason, byKey: ReadonlyMap<string, number> = new Map()): void {
    if (n <= 0) return;
    this.dropped += n;
    this.opts.onDrop?.(n, reason, byKey);
  }
}
