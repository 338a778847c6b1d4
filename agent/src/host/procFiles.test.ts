import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcFiles } from './procFiles.js';
import { statCpuTicks } from './procfs.js';

/** The fds of this process that are open on `path`. */
const fdsOn = (path: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  });

describe('ProcFiles', () => {
  it('keeps a file open across reads and each read is a fresh reading', () => {
    const files = new ProcFiles();
    const path = `/proc/${process.pid}/stat`;
    const first = statCpuTicks(files.read(path)!)!;
    expect(fdsOn(path)).toHaveLength(1);
    const until = Date.now() + 60;
    while (Date.now() < until); // burn CPU: the next reading must show it
    const second = statCpuTicks(files.read(path)!)!;
    expect(fdsOn(path)).toHaveLength(1); // the same fd, not a second one
    expect(second.user + second.system).toBeGreaterThan(first.user + first.system);
    files.closeAll();
    expect(fdsOn(path)).toHaveLength(0);
  });

  it('a process that exited reads as undefined and its file is closed; a missing path is undefined', async () => {
    const child = spawn('sleep', ['30']);
    await once(child, 'spawn');
    const files = new ProcFiles();
    const path = `/proc/${child.pid}/stat`;
    expect(files.read(path)).toMatch(/^\d+ \(sleep\) /);
    child.kill('SIGKILL');
    await once(child, 'exit');
    await new Promise((r) => setTimeout(r, 50)); // reaped
    expect(files.read(path)).toBeUndefined();
    expect(files.size).toBe(0);
    expect(files.read('/proc/does-not-exist/stat')).toBeUndefined();
    expect(files.size).toBe(0);
  });

  it('closes the files not read for idleMs at the next read of any file', () => {
    let now = 0;
    const files = new ProcFiles(1000, () => now);
    files.read('/proc/self/stat');
    files.read('/proc/self/statm');
    expect(files.size).toBe(2);
    now = 600;
    files.read('/proc/self/statm');
    now = 1200;
    files.read('/proc/self/statm'); // stat idle 1200 ms > 1000: closed; statm read 600 ms ago: kept
    expect(files.size).toBe(1);
    expect(fdsOn(`/proc/${process.pid}/stat`)).toHaveLength(0);
  });

  it('reads a file larger than its buffer whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'procfiles-'));
    const path = join(dir, 'big');
    writeFileSync(path, 'x'.repeat(10_000));
    const files = new ProcFiles();
    expect(files.read(path)).toBe('x'.repeat(10_000));
    files.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });
});
