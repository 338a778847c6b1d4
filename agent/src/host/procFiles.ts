/**
 * The small procfs files the agent reads every tick (a QEMU's /proc/<pid>/stat and each
 * vCPU thread's), kept open and read with one pread at offset 0: procfs regenerates the
 * text on every read from offset 0, so an open file gives a fresh reading each time, and a
 * tick costs one syscall a file instead of open, read and close.
 *
 * A file whose process is gone fails its read (ESRCH): it is closed and opened once more
 * (a new process with that pid is then read, as a fresh open would). A file that has not
 * been read for `idleMs` (its VM went away or reconnected with new threads) is closed at
 * the next read of any file, so the agent holds at most the files of its current VMs.
 *
 * For files whose text comes in one read, as a stat line does (procfs's single-record
 * files): a multi-record seq file such as /proc/<pid>/maps returns a page a read and would
 * be cut. Paths are data from QEMU (thread ids) and stay Map keys.
 */
import { closeSync, openSync, readSync } from 'node:fs';

interface OpenFile {
  fd: number;
  lastReadMs: number;
}

export class ProcFiles {
  /** One reused buffer: reads are synchronous, so it is never shared mid-read. */
  private readonly scratch = Buffer.alloc(4096);
  private readonly open = new Map<string, OpenFile>();
  private lastSweepMs = 0;

  constructor(
    private readonly idleMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The text of `path` now, or undefined when it cannot be read. Text that fills the buffer is read again larger. */
  read(path: string): string | undefined {
    const t = this.now();
    this.sweep(t);
    const held = this.open.get(path);
    if (held) {
      const text = this.pread(held.fd);
      if (text !== undefined) {
        held.lastReadMs = t;
        return text;
      }
      this.close(path, held);
    }
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return undefined;
    }
    const text = this.pread(fd);
    if (text === undefined) {
      closeSync(fd);
      return undefined;
    }
    this.open.set(path, { fd, lastReadMs: t });
    return text;
  }

  /** How many files are held open now. */
  get size(): number {
    return this.open.size;
  }

  /** Closes every file (the reader is done). */
  closeAll(): void {
    for (const [path, f] of this.open) this.close(path, f);
  }

  private pread(fd: number): string | undefined {
    try {
      let buf = this.scratch;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, 0);
        if (n < buf.length) return buf.toString('latin1', 0, n);
        if (buf.length >= 1 << 20) return undefined; // not a small procfs file
        buf = Buffer.alloc(buf.length * 4);
      }
    } catch {
      return undefined;
    }
  }

  private close(path: string, f: OpenFile): void {
    this.open.delete(path);
    try {
      closeSync(f.fd);
    } catch {
      // already closed: nothing to release
    }
  }

  private sweep(t: number): void {
    if (t - this.lastSweepMs < this.idleMs / 4) return;
    this.lastSweepMs = t;
    for (const [path, f] of this.open) if (t - f.lastReadMs > this.idleMs) this.close(path, f);
  }
}
