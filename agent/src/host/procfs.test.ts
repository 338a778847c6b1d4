import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROCESS_STATS } from '#test/support/records.js';
import { ProcFiles } from './procFiles.js';
import { auxvPageSize, hostPageSize, readProcessStats, readQemuProcess, readQemuThreads, statCpuTicks, statRssPages, statStartTime } from './procfs.js';

describe('statStartTime', () => {
  it('reads field 22, also when the command name holds spaces and parentheses', () => {
    const rest = 'S 1 1 1 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 4 0 271347 3133440 411 18446744073709551615';
    expect(statStartTime(`4826 (CPU 0/KVM) ${rest}`)).toBe(271347);
    expect(statStartTime(`4826 (qemu (x) y) ${rest}`)).toBe(271347);
  });

  it('is undefined for garbage', () => {
    expect(statStartTime('')).toBeUndefined();
    expect(statStartTime('12 (x) S 1 2')).toBeUndefined();
    expect(statStartTime('no parens at all')).toBeUndefined();
  });
});

describe('readQemuProcess', () => {
  it('reads this very process on the host (/proc/self is a thread id too)', () => {
    const pid = process.pid;
    const p = readQemuProcess([pid + 1_000_000_000, pid].filter((t) => t < 2 ** 31))!;
    // The smallest id is read; pid + 1e9 is larger, so it is never looked at.
    expect(p.threadId).toBe(pid);
    expect(p.startTime).toBe(statStartTime(readFileSync(`/proc/${pid}/stat`, 'latin1')));
    expect(p.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim());
  });

  it('is undefined without thread ids, for a thread that does not exist, or without a boot id', () => {
    expect(readQemuProcess([])).toBeUndefined();
    expect(readQemuProcess([2 ** 30 + 7])).toBeUndefined();
    const root = mkdtempSync(join(tmpdir(), 'procfs-'));
    mkdirSync(join(root, 'proc', '77'), { recursive: true });
    writeFileSync(join(root, 'proc', '77', 'stat'), '77 (CPU 0/KVM) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0');
    expect(readQemuProcess([77], root)).toBeUndefined(); // no boot_id file
    mkdirSync(join(root, 'proc/sys/kernel/random'), { recursive: true });
    writeFileSync(join(root, 'proc/sys/kernel/random/boot_id'), 'd977240d-d638-4aa9-b504-f0e26d590fbb\n');
    expect(readQemuProcess([77], root)).toEqual({ threadId: 77, startTime: 555, bootId: 'd977240d-d638-4aa9-b504-f0e26d590fbb' });
    rmSync(root, { recursive: true, force: true });
  });
});

const STAT_REST = 'S 1 1 1 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 4 0 271347 3133440 411 18446744073709551615';

describe('statCpuTicks', () => {
  it('reads fields 14 and 15 (utime, stime), also after a command name with spaces and parentheses', () => {
    expect(statCpuTicks(`4826 (CPU 0/KVM) ${STAT_REST}`)).toEqual({ user: 5, system: 3 });
    expect(statCpuTicks(`4826 (qemu (x) y) ${STAT_REST}`)).toEqual({ user: 5, system: 3 });
  });

  it('is undefined for garbage', () => {
    expect(statCpuTicks('12 (x) S 1 2')).toBeUndefined();
    expect(statCpuTicks('')).toBeUndefined();
  });
});

describe('statRssPages', () => {
  it('reads field 24 (rss, pages)', () => {
    expect(statRssPages(`4826 (CPU 0/KVM) ${STAT_REST}`)).toBe(411);
    expect(statRssPages('12 (x) S 1 2')).toBeUndefined();
  });
});

describe('auxvPageSize', () => {
  const auxv = (...pairs: Array<[number, number]>) => {
    const b = Buffer.alloc(16 * pairs.length);
    pairs.forEach(([t, v], i) => {
      b.writeBigUInt64LE(BigInt(t), 16 * i);
      b.writeBigUInt64LE(BigInt(v), 16 * i + 8);
    });
    return b;
  };
  it('finds AT_PAGESZ (6) among the pairs, up to AT_NULL', () => {
    expect(auxvPageSize(auxv([33, 0x7ffd0000], [16, 0xbfebfbff], [6, 16384], [0, 0]))).toBe(16384);
    expect(auxvPageSize(auxv([33, 1], [0, 0], [6, 4096]))).toBeUndefined(); // after AT_NULL
    expect(auxvPageSize(auxv([6, 3000], [0, 0]))).toBeUndefined(); // not a power of two
    expect(auxvPageSize(Buffer.alloc(7))).toBeUndefined();
  });
  it("is this host's page size", () => {
    expect(hostPageSize()).toBe(auxvPageSize(readFileSync('/proc/self/auxv')));
    expect([4096, 16384, 65536]).toContain(hostPageSize());
  });
});

describe('readQemuThreads and readProcessStats', () => {
  it('reads a fixture tree: the Tgid of the smallest vCPU thread, the process and each thread', () => {
    const root = mkdtempSync(join(tmpdir(), 'procfs-'));
    const put = (path: string, text: string) => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    put('proc/4826/status', 'Name:\tCPU 0/KVM\nTgid:\t4821\n');
    // rss (field 24) in pages: 183412 kB on a host with 4 KiB pages
    const page = hostPageSize()!;
    put('proc/4821/stat', `4821 (qemu-system-x86) S 1 1 1 0 -1 0 0 0 0 0 1234 567 0 0 20 0 4 0 100 0 45853`);
    put('proc/4821/task/4826/stat', `4826 (CPU 0/KVM) S 1 1 1 0 -1 0 0 0 0 0 900 100 0 0 20 0 4 0 100 0 0`);
    put('proc/4821/task/4827/stat', `4827 (CPU 1/KVM) S 1 1 1 0 -1 0 0 0 0 0 20 7 0 0 20 0 4 0 100 0 0`);
    const threads = readQemuThreads(
      [
        { index: 0, tid: 4826 },
        { index: 1, tid: 4827 },
        { index: 2, tid: 4999 }, // gone: left out of the reading, not 0
      ],
      root,
    )!;
    expect(threads.pid).toBe(4821);
    const files = new ProcFiles();
    expect(readProcessStats(threads, files, root)).toEqual({ ...PROCESS_STATS, rssKb: (45853 * page) / 1024 });
    expect(files.size).toBe(3); // the process's stat and two threads' stat, held open
    expect(readProcessStats({ pid: 4822, vcpus: [] }, files, root)).toBeUndefined(); // no such process
    files.closeAll();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads this very process (its main thread as the one "vCPU")', () => {
    const threads = readQemuThreads([{ index: 0, tid: process.pid }])!;
    expect(threads.pid).toBe(process.pid);
    const files = new ProcFiles();
    const p = readProcessStats(threads, files)!;
    const vmRssKb = Number(/^VmRSS:\s*(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'latin1'))![1]);
    expect(p.userTicks + p.systemTicks).toBeGreaterThan(0);
    // Field 24 × page size is the sum VmRSS prints; the process may grow between the two reads.
    expect(Math.abs(p.rssKb! - vmRssKb)).toBeLessThan(2048);
    expect(p.rssKb).toBeGreaterThan(1000);
    files.closeAll();
    expect(p.vcpus[0]!.index).toBe(0);
    expect(readQemuThreads([])).toBeUndefined();
  });
});
