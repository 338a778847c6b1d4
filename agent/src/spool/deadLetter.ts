/**
 * The dead-letter file: records Kafka will never take (kafka/produceErrors.ts, or over
 * `kafka.maxRecordBytes`), kept for an operator instead of blocking every VM of the host.
 *
 *   <spool.dir>/dead-letter.jsonl   one JSON object a line:
 *     {"t": <epoch ms>, "key": "<VM uuid>", "reason": "MESSAGE_TOO_LARGE", "bytes": N,
 *      "value": "<the Avro single-object record, base64>"}
 *
 * Appended with one write and an fsync per record (rare by nature). Bounded by
 * `spool.deadLetterBytes`: past it, or without a spool dir, or when the write fails
 * (ENOSPC, EIO), the record is not kept and the caller counts it; `write` never throws.
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { SpoolEntry } from './segment.js';

export type DeadLetterOutcome = 'kept' | 'full' | 'no-dir' | 'write-failed';

export const DEAD_LETTER_FILE = 'dead-letter.jsonl';

export class DeadLetterFile {
  readonly path: string | undefined;
  private size = 0;
  /** The last write error, for the caller's log line. */
  lastError: string | undefined;

  constructor(
    dir: string | undefined,
    private readonly maxBytes: number,
  ) {
    this.path = dir === undefined ? undefined : join(dir, DEAD_LETTER_FILE);
    if (this.path) {
      try {
        this.size = statSync(this.path).size;
      } catch {
        this.size = 0;
      }
    }
  }

  write(e: SpoolEntry, reason: string, t: number): DeadLetterOutcome {
    if (!this.path) return 'no-dir';
    const line = `${JSON.stringify({ t, key: e.key, reason, bytes: e.value.length, value: e.value.toString('base64') })}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.size + bytes > this.maxBytes) return 'full';
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'a', 0o600);
      writeSync(fd, line);
      fsyncSync(fd);
      this.size += bytes;
      return 'kept';
    } catch (err) {
      this.lastError = (err as Error).message;
      try {
        if (fd !== undefined) ftruncateSync(fd, this.size); // no torn line for the next record to follow
      } catch {
        /* the file keeps a torn last line; readers skip it */
      }
      return 'write-failed';
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}
