/**
 * Segment files on disk: names, a durable write, and what recovery finds.
 *
 *   seg-<16-digit number>-<records>.bin    number orders the segments; records is how
 *                                          many the file was written with
 *   seg-<16-digit number>.bin              written before the count was in the name
 *   <name>.tmp                             a write that had not been renamed yet
 *
 * `writeDurably`: write the temp file, fsync it, rename it into place, fsync the
 * directory; after a power cut a segment is either absent or complete. Errors (ENOSPC,
 * EIO, EROFS) are thrown to the spool, which counts the records and goes on.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSegment } from './segment.js';

const NAME = /^seg-(\d{16})(?:-(\d+))?\.bin$/;

export interface SegmentName {
  number: number;
  /** Records the file was written with; undefined for a name without the count. */
  records: number | undefined;
}

export function segmentName(number: number, records: number): string {
  return `seg-${String(number).padStart(16, '0')}-${records}.bin`;
}

export function parseSegmentName(file: string): SegmentName | undefined {
  const m = NAME.exec(file);
  if (!m) return undefined;
  return { number: Number(m[1]), records: m[2] === undefined ? undefined : Number(m[2]) };
}

/** Writes `buf` to `dir/name` so that it is complete or absent after a crash. Throws on I/O errors (the temp file is removed). */
export function writeDurably(dir: string, name: string, buf: Buffer): void {
  const path = join(dir, name);
  const tmp = `${path}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmQuietly(tmp);
    throw err;
  }
  fsyncDir(dir);
}

/** fsync of a directory, so a rename or an unlink in it is durable. Some file systems refuse it: ignored. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* EINVAL on file systems without directory fsync */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Removes a file; false (never a throw) when it could not be (EIO, EROFS). */
export function rmQuietly(path: string): boolean {
  try {
    rmSync(path, { force: true });
    return true;
  } catch {
    return false;
  }
}

/** A segment file the spool knows: `records` is what it holds intact. */
export interface SegmentFile {
  path: string;
  number: number;
  records: number;
  bytes: number;
}

/**
 * What a previous run left in `dir` (created if missing): its segments in number
 * order, and how many records the files lost (a crash left them empty or torn: the
 * name says how many each was written with; a name without the count loses "at least
 * one"). A temp file whose rename a crash prevented is renamed into place (what it
 * holds intact is kept); any other temp file (an older writer's) is removed.
 */
export function recoverSegments(dir: string): { segments: SegmentFile[]; lost: number; nextNumber: number } {
  mkdirSync(dir, { recursive: true });
  const files = readdirSync(dir);
  for (const f of files) {
    if (!f.endsWith('.tmp')) continue;
    const final = f.slice(0, -'.tmp'.length);
    // Only this writer's temp files (the count in the name): they are checksummed.
    if (parseSegmentName(final)?.records !== undefined && !files.includes(final)) {
      try {
        renameSync(join(dir, f), join(dir, final));
        continue;
      } catch {
        /* removed below */
      }
    }
    rmQuietly(join(dir, f));
  }
  const found = readdirSync(dir)
    .flatMap((f) => {
      const name = parseSegmentName(f);
      return name ? [{ path: join(dir, f), name }] : [];
    })
    .sort((a, b) => a.name.number - b.name.number);
  const segments: SegmentFile[] = [];
  let lost = 0;
  let nextNumber = 0;
  for (const { path, name } of found) {
    nextNumber = Math.max(nextNumber, name.number + 1);
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch {
      lost += name.records ?? 1;
      continue;
    }
    const { entries, truncated } = decodeSegment(buf);
    lost += name.records !== undefined ? Math.max(0, name.records - entries.length) : truncated || buf.length === 0 ? 1 : 0;
    segments.push({ path, number: name.number, records: entries.length, bytes: buf.length });
  }
  return { segments, lost, nextNumber };
}
