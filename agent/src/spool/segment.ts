/**
 * On-disk spool segment, pure encode/decode. A segment is a run of records:
 *
 *   u32be keyLength | key (UTF-8) | u32be valueLength | value (Avro single-object bytes)
 *
 * Decoding a truncated or corrupt tail (a crash mid-write) returns the complete
 * records before it and counts the rest as lost.
 */
export interface SpoolEntry {
  key: string;
  value: Buffer;
}

export function entryBytes(e: SpoolEntry): number {
  return 8 + Buffer.byteLength(e.key) + e.value.length;
}

export function encodeSegment(entries: readonly SpoolEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const key = Buffer.from(e.key, 'utf8');
    const kl = Buffer.alloc(4);
    kl.writeUInt32BE(key.length);
    const vl = Buffer.alloc(4);
    vl.writeUInt32BE(e.value.length);
    parts.push(kl, key, vl, e.value);
  }
  return Buffer.concat(parts);
}

export function decodeSegment(buf: Buffer): { entries: SpoolEntry[]; truncated: boolean } {
  const entries: SpoolEntry[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 4 > buf.length) return { entries, truncated: true };
    const kl = buf.readUInt32BE(off);
    if (off + 8 + kl > buf.length) return { entries, truncated: true };
    const key = buf.toString('utf8', off + 4, off + 4 + kl);
    const vl = buf.readUInt32BE(off + 4 + kl);
    const start = off + 8 + kl;
    if (start + vl > buf.length) return { entries, truncated: true };
    entries.push({ key, value: Buffer.from(buf.subarray(start, start + vl)) });
    off = start + vl;
  }
  return { entries, truncated: false };
}
