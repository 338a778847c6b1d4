import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cmdlineNamesGuest, readQemuPid } from './qemuPid.js';

const dir = mkdtempSync(join(tmpdir(), 'qemu-pid-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('QEMU pid of a libvirt domain', () => {
  it('matches -name guest=NAME,... in a NUL-separated command line', () => {
    const cmd = ['/usr/bin/qemu-system-x86_64', '-name', 'guest=vm1,debug-threads=on', '-S'].join('\0');
    expect(cmdlineNamesGuest(cmd, 'vm1')).toBe(true);
    expect(cmdlineNamesGuest(cmd, 'vm')).toBe(false);
    expect(cmdlineNamesGuest('/bin/sh\0-c\0true', 'vm1')).toBe(false);
  });

  it('does not trust a pid file whose process is not that domain', async () => {
    writeFileSync(join(dir, 'vm1.pid'), `${process.pid}\n`);
    expect(await readQemuPid('vm1', dir)).toBeNull();
    writeFileSync(join(dir, 'vm2.pid'), 'garbage');
    expect(await readQemuPid('vm2', dir)).toBeNull();
    expect(await readQemuPid('missing', dir)).toBeNull();
  });
});
