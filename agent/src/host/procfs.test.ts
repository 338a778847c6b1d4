import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readQemuProcess, statStartTime } from './procfs.js';

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
