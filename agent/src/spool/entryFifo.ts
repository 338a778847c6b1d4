/**
 * A FIFO of spool entries with their byte total: the spool's memory tier, and the
 * segment it is reading from disk. Taking from the front moves an index instead of
 * shifting the array; the array is compacted once most of it has been taken.
 */
import { entryBytes, type SpoolEntry } from './segment.js';

export class EntryFifo {
  private items: SpoolEntry[] = [];
  private start = 0;
  /** Bytes of the entries still queued. */
  bytes = 0;

  get length(): number {
    return this.items.length - this.start;
  }

  push(e: SpoolEntry): void {
    this.items.push(e);
    this.bytes += entryBytes(e);
  }

  /** Replaces the content (empty without `entries`). */
  reset(entries: SpoolEntry[] = []): void {
    this.items = entries;
    this.start = 0;
    this.bytes = entries.reduce((n, e) => n + entryBytes(e), 0);
  }

  /** Removes and returns the oldest entries, up to `maxRecords` and `maxBytes` (one at least, however large). */
  take(maxRecords: number, maxBytes: number): { batch: SpoolEntry[]; bytes: number } {
    const batch: SpoolEntry[] = [];
    let bytes = 0;
    let i = this.start;
    while (i < this.items.length && batch.length < maxRecords) {
      const b = entryBytes(this.items[i]!);
      if (batch.length > 0 && bytes + b > maxBytes) break;
      batch.push(this.items[i]!);
      bytes += b;
      i++;
    }
    this.start = i;
    this.bytes -= bytes;
    this.compact();
    return { batch, bytes };
  }

  /** Removes and returns the oldest entries until at most `maxBytes` are left. */
  shedTo(maxBytes: number): SpoolEntry[] {
    const shed: SpoolEntry[] = [];
    while (this.bytes > maxBytes && this.start < this.items.length) {
      const e = this.items[this.start++]!;
      this.bytes -= entryBytes(e);
      shed.push(e);
    }
    this.compact();
    return shed;
  }

  /** The entries still queued, oldest first (a copy). */
  rest(): SpoolEntry[] {
    return this.items.slice(this.start);
  }

  private compact(): void {
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }
}
