/**
 * How many records sit in the spool's memory tier only (in no segment file), written to
 * `<spool.dir>/memory-records` so that the next start can count them when this process
 * dies without persisting them (SIGKILL, the OOM killer, a crash).
 *
 *   memory-records   one line: the count, as 20 digits, rewritten in place with one pwrite
 *
 * Cheap by construction: the file stays open and a write is one 21-byte pwrite (no fsync:
 * it is the process that dies, the page cache survives; a power cut loses the marker's
 * last value with the memory it described). A count that went down (a batch acknowledged,
 * memory spilled to disk or shed) is written at once, so the marker never counts a record
 * twice; one that went up is written every STEP records, so the next start counts at most
 * STEP - 1 fewer than were lost, never more. Write errors are ignored (a full or read-only
 * disk already shows in the spool's own drop counts).
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const MARKER_FILE = 'memory-records';
/** Records pushed between two writes while the memory tier grows. */
export const MARKER_STEP = 64;

const WIDTH = 20;

/** The count a previous process left in `dir` (0 when none, or unreadable). */
export function readMemoryMarker(dir: string): number {
  let text: string;
  try {
    text = readFileSync(join(dir, MARKER_FILE), 'latin1');
  } catch {
    return 0;
  }
  const n = Number(text.trim());
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

export class MemoryMarker {
  private fd: number | undefined;
  private written = -1;
  private readonly line = Buffer.alloc(WIDTH + 1);

  /** Opens (creates) the marker in `dir` and writes 0. Never throws: without it nothing is counted, nothing else changes. */
  constructor(dir: string) {
    try {
      this.fd = openSync(join(dir, MARKER_FILE), 'w', 0o600);
    } catch {
      this.fd = undefined;
    }
    this.write(0);
  }

  /** The memory tier now holds `records` that are in no file. */
  update(records: number): void {
    if (records < this.written || records >= this.written + MARKER_STEP) this.write(records);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private write(records: number): void {
    this.written = records;
    if (this.fd === undefined) return;
    this.line.write(String(records).padStart(WIDTH, '0'), 'latin1');
    this.line[WIDTH] = 0x0a;
    try {
      writeSync(this.fd, this.line, 0, this.line.length, 0);
    } catch {
      /* counted nowhere else either: the spool's own drops say the disk is failing */
    }
  }
}
