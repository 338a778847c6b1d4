/**
 * On-disk spool segment, pure encode/decode.
 *
 *   "QSP2" | record*            record = u32be keyLength | key (UTF-8)
 *                                        | u32be valueLength | value (Avro single-object bytes)
 *                                        | u32be CRC-32 of the record's bytes before it
 *
 * The segment's file name carries its record count (spool.ts), so a file that lost its
 * data in a crash (zero length, torn tail) says how many records it lost. Decoding stops
 * at the first record that is cut short or fails its checksum: the complete records
 * before it are returned and `truncated` is set; the caller counts the rest as lost.
 * Segments written before the checksum (no "QSP2" magic) decode as before, without it.
 */
import { crc32 } from 'node:zlib';

export interface SpoolEntry {
  key: string;
  value: Buffer;
}

const MAGIC = Buffer.from('QSP2', 'latin1');

/** Bytes an entry holds in memory accounting (as before the checksum: the spool's bounds did not change). */
export function entryBytes(e: SpoolEntry): number {
  return 8 + Buffer.byteLength(e.key) + e.value.length;
}

export function encodeSegment(entries: readonly SpoolEntry[]): Buffer {
  const parts: Buffer[] = [MAGIC];
  for (const e of entries) {
    const key = Buffer.from(e.key, 'utf8');
    const head = Buffer.alloc(4 + key.length + 4);
    head.writeUInt32BE(key.length, 0);
    key.copy(head, 4);
    head.writeUInt32BE(e.value.length, 4 + key.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc32(e.value, crc32(head)));
    parts.push(head, e.value, sum);
  }
  return Buffer.concat(parts);
}

export function decodeSegment(buf: Buffer): { entries: SpoolEntry[]; truncated: boolean } {
  const checked = buf.length >= MAGIC.length && buf.subarray(0, MAGIC.length).equals(MAGIC);
  const entries: SpoolEntry[] = [];
  let off = checked ? MAGIC.length : 0;
  const tail = checked ? 4 : 0;
  while (off < buf.length) {
    if (off + 4 > buf.length) return { entries, truncated: true };
    const kl = buf.readUInt32BE(off);
    if (off + 8 + kl > buf.length) return { entries, truncated: true };
    const vl = buf.readUInt32BE(off + 4 + kl);
    const start = off + 8 + kl;
    const end = start + vl;
    if (end + tail > buf.length) return { entries, truncated: true };
    if (checked && crc32(buf.subarray(off, end)) !== buf.readUInt32BE(end)) return { entries, truncated: true };
    entries.push({ key: buf.toString('utf8', off + 4, off + 4 + kl), value: Buffer.from(buf.subarray(start, end)) });
    off = end + tail;
  }
  return { entries, truncated: false };
}
