import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isInterfaceName, readQemuTaps, statusTgid, tapsOf, tunInterface } from './taps.js';

/** What Linux 6.x prints for a tun fd (drivers/net/tun.c tun_chr_show_fdinfo), attached and not. */
const ATTACHED = 'pos:\t0\nflags:\t02104002\nmnt_id:\t24\nino:\t104\niff:\ttap-vm1\n';
const DETACHED = 'pos:\t0\nflags:\t02100002\nmnt_id:\t24\nino:\t104\niff:\t\n';

describe('tunInterface (fdinfo text → interface name)', () => {
  it('reads the iff line; none for a detached fd or another file', () => {
    expect(tunInterface(ATTACHED)).toBe('tap-vm1');
    expect(tunInterface(DETACHED)).toBeUndefined();
    expect(tunInterface('pos:\t0\nflags:\t02\nmnt_id:\t24\n')).toBeUndefined();
  });

  it('keeps the name as the kernel wrote it (validation is separate)', () => {
    expect(tunInterface('iff:\tvnet 0\n')).toBe('vnet 0');
  });
});

describe('isInterfaceName (Linux dev_valid_name)', () => {
  it.each([
    ['tap0', true],
    ['vnet12', true],
    ['a'.repeat(15), true],
    ['a'.repeat(16), false],
    ['tapé'.padEnd(15, 'x'), false], // 15 characters, 16 bytes
    ['tapé'.padEnd(14, 'x'), true], // 14 characters, 15 bytes
    ['', false],
    ['.', false],
    ['..', false],
    ['../etc', false],
    ['tap 0', false],
    ['tap\t0', false],
    ['__proto__', true],
  ])('%j: %s', (name, ok) => {
    expect(isInterfaceName(name)).toBe(ok);
  });
});

describe('statusTgid', () => {
  it('is the Tgid line of /proc/<tid>/status', () => {
    expect(statusTgid('Name:\tCPU 0/KVM\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\nPid:\t4250\n')).toBe(4242);
    expect(statusTgid('Name:\tx\nPid:\t1\n')).toBeUndefined();
  });
});

describe('tapsOf', () => {
  it('one name per tap (a multiqueue tap has a fd per queue), in fd order; bad names counted, not kept', () => {
    const bad = `iff:\t${'x'.repeat(16)}\n`;
    expect(tapsOf([ATTACHED, 'iff:\ttap1\n', ATTACHED, DETACHED, bad, 'iff:\ta/b\n'])).toEqual({ taps: ['tap-vm1', 'tap1'], rejected: 2 });
  });
});

describe('readQemuTaps on a procfs tree', () => {
  const root = mkdtempSync(join(tmpdir(), 'qmpipe-taps-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const proc = (p: string) => join(root, 'proc', p);
  mkdirSync(proc('4250'), { recursive: true });
  writeFileSync(proc('4250/status'), 'Name:\tCPU 0/KVM\nTgid:\t4242\nPid:\t4250\n');
  mkdirSync(proc('4242/fd'), { recursive: true });
  mkdirSync(proc('4242/fdinfo'), { recursive: true });
  const fd = (n: number, target: string, info: string) => {
    symlinkSync(target, proc(`4242/fd/${n}`));
    writeFileSync(proc(`4242/fdinfo/${n}`), info);
  };
  fd(3, '/dev/null', 'iff:\tnot-a-tun\n'); // only /dev/net/tun fds count
  fd(12, '/dev/net/tun', 'iff:\ttap-b\n');
  fd(9, '/dev/net/tun', ATTACHED);
  fd(10, 'socket:[1234]', 'pos:\t0\n');

  it('follows a vCPU thread to its process and reads its tun fds, in fd order', () => {
    expect(readQemuTaps([4250], root)).toEqual({ taps: ['tap-vm1', 'tap-b'], rejected: 0 });
  });

  it('undefined when the thread or process cannot be read', () => {
    expect(readQemuTaps([999999], root)).toBeUndefined();
    expect(readQemuTaps([], root)).toBeUndefined();
  });
});
