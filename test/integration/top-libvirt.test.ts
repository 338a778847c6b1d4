/**
 * `qmpipe top --libvirt` on a stock libvirt host (infra/libvirt: the real libvirtd and a
 * transient domain without qemu:commandline): the domain is found through libvirt and
 * polled through QEMU's monitor via libvirt, and `--once --json` has the chain rows
 * `qmpipe domstats --libvirt --backing` prints, disks named by target as libvirt names them.
 * Runs bin/qmpipe.mjs (`npm run build` first).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDomstats } from '#tools/domstats/domstats.js';
import type { Frame } from '#top/model/frame.js';
import { type LibvirtDaemon, libvirtUnavailable, startLibvirtd, startTestDomain, stopLibvirtd, type TestDomain } from './libvirt-support.js';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'qmpipe.mjs');
const unavailable = libvirtUnavailable();
if (unavailable) console.log(`[top-libvirt] skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)('qmpipe top --libvirt', () => {
  let daemon: LibvirtDaemon;
  let dom: TestDomain | undefined;

  beforeAll(async () => {
    daemon = await startLibvirtd();
    dom = await startTestDomain(['--accel', 'tcg', '--no-boot-wait', '--no-interface']);
  }, 180_000);

  afterAll(async () => {
    await dom?.stop().catch(() => {});
    if (daemon?.owned) await stopLibvirtd();
  });

  it('--once --json: the domain, with the chain rows of qmpipe domstats --libvirt --backing', async () => {
    const d = dom!;
    const ds = parseDomstats((await run(process.execPath, [bin, 'domstats', '--libvirt', daemon.uri, '--domain', d.name, '--backing'])).stdout);
    const args = ['top', '--libvirt', daemon.uri, '--libvirt-socket', daemon.socketPath, '--domain', d.name, '--once', '--json'];
    const frame = JSON.parse((await run(process.execPath, [bin, ...args])).stdout) as Frame;
    expect(frame.vms.map((v) => [v.vm, v.uuid])).toEqual([[d.name, d.uuid]]);
    const v = frame.vms[0]!;
    const rows = v.disks.flatMap((disk) => disk.chain.map((e) => [disk.device, e.backingIndex, e.filename, e.capacity, e.physical]));
    const want = Array.from({ length: Number(ds['block.count']) }, (_, i) => [
      ds[`block.${i}.name`],
      Number(ds[`block.${i}.backingIndex`]),
      ds[`block.${i}.path`],
      Number(ds[`block.${i}.capacity`]),
      Number(ds[`block.${i}.physical`]),
    ]);
    expect(rows).toEqual(want);
    expect(rows[0]![0]).toBe('vda');
    expect(v.writeBytesPerSecond).not.toBeNull(); // rates over an interval, from the core
    console.log(`[top-libvirt] ${d.name}: ${v.state}, chain ${rows.map((r) => `${r[0]}[${r[1]}] ${r[2]}`).join(', ')}`);
  }, 90_000);
});
