/**
 * `qmpipe stats` on live VMs, as a user runs it (bin/qmpipe.mjs, so `npm run build` first):
 * on a KVM VM's own QMP socket, and through the real libvirtd on an untouched transient
 * domain (qmp passthrough). Every line is a stat QEMU's schema describes, each vCPU has
 * its instance, histograms come as bucket arrays, and the text view shows their bars.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '#common/paths.js';
import type { StatLine } from '#tools/stats/statLines.js';
import type { Frame } from '#top/model/frame.js';
import { startTestVm, type TestVm } from './helpers/index.js';
import { libvirtUnavailable, startLibvirtd, startTestDomain, stopLibvirtd, type LibvirtDaemon, type TestDomain } from './libvirt-support.js';

const run = promisify(execFile);
const bin = join(packageRoot(), 'bin', 'qmpipe.mjs');
const noKvm = existsSync('/dev/kvm') ? null : 'no /dev/kvm on this machine (query-stats has no KVM provider under TCG)';
if (noKvm) console.log(`[stats-live] skipped: ${noKvm}`);
const libvirtMissing = noKvm ?? libvirtUnavailable();
if (!noKvm && libvirtMissing) console.log(`[stats-live] libvirt case skipped: ${libvirtMissing}`);

type JsonStat = StatLine;

async function stats(args: string[]): Promise<JsonStat[]> {
  const { stdout } = await run(process.execPath, [bin, 'stats', ...args, '--json'], { timeout: 30_000 });
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JsonStat);
}

function checkKvmStats(lines: JsonStat[]): void {
  expect(Object.keys(lines[0]!)).toEqual(['target', 'provider', 'instance', 'name', 'type', 'unit', 'base', 'exponent', 'value']);
  const vm = lines.filter((l) => l.target === 'vm');
  const vcpu = lines.filter((l) => l.target === 'vcpu');
  expect(vm.length).toBeGreaterThan(5);
  expect(new Set(vm.map((l) => l.instance))).toEqual(new Set(['vm']));
  expect([...new Set(vcpu.map((l) => l.instance))].every((p) => p.startsWith('/machine/'))).toBe(true);
  expect(lines.every((l) => l.provider === 'kvm' && l.type !== 'unknown')).toBe(true);
  const hist = vcpu.find((l) => l.type === 'log2-histogram');
  expect(Array.isArray(hist?.value)).toBe(true);
  const exits = vcpu.find((l) => l.name === 'exits');
  expect(typeof exits?.value === 'number' && exits.value > 0).toBe(true);
  const ns = vcpu.find((l) => l.name === 'halt_wait_ns');
  expect(ns).toMatchObject({ unit: 'seconds', base: 10, exponent: -9 });
}

describe.skipIf(noKvm !== null)('qmpipe stats on a live KVM VM', () => {
  let vm: TestVm | undefined;
  afterAll(async () => {
    await vm?.stop();
  });

  it('--socket: every stat of both targets, with the schema; the text view draws histograms', async () => {
    vm = await startTestVm({ accel: 'kvm', noBootWait: true });
    const lines = await stats(['--socket', vm.qmpAgent]);
    checkKvmStats(lines);
    const { stdout } = await run(process.execPath, [bin, 'stats', '--socket', vm.qmpAgent, '--target', 'vcpu', '--vcpus', '0'], { timeout: 30_000 });
    expect(stdout).toMatch(/^vcpu \/machine\/\S+ \(cpu 0, provider: kvm\)$/m);
    expect(stdout).toMatch(/^ {4}halt_wait_ns \(cumulative, ns\): \d+$/m);
    expect(stdout).toMatch(/^ {4}halt_wait_hist \(log2-histogram, ns\): \d+ buckets, \d+ counted$/m);
    console.log(`[stats-live] socket: ${lines.length} stats`);
  }, 120_000);

  it('qmpipe top --socket: the VM view has the same stats (names, schema, instances, vCPU index)', async () => {
    const { stdout } = await run(process.execPath, [bin, 'top', '--socket', vm!.qmpAgent, '--once', '--json'], { timeout: 60_000 });
    const frame = JSON.parse(stdout) as Frame;
    const key = (l: StatLine) => [l.target, l.provider, l.instance, l.name, l.type, l.unit, l.base, l.exponent].join(' ');
    const want = await stats(['--socket', vm!.qmpAgent]);
    const got = frame.vms[0]!.queryStats.lines!;
    expect(got.map(key)).toEqual(want.map(key));
    const vcpus = await run(process.execPath, [bin, 'stats', '--socket', vm!.qmpAgent, '--target', 'vcpu']);
    const cpuOf = new Map([...vcpus.stdout.matchAll(/^vcpu (\S+) \(cpu (\d+),/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect(cpuOf.size).toBeGreaterThan(0);
    for (const l of got.filter((x) => x.target === 'vcpu')) expect(l.cpu).toBe(cpuOf.get(l.instance)); // the processor's numbering is query-cpus-fast's
  }, 90_000);
});

describe.skipIf(libvirtMissing !== null)('qmpipe stats through libvirt (qmp passthrough, domain untouched)', () => {
  let daemon: LibvirtDaemon | undefined;
  let d: TestDomain | undefined;
  afterAll(async () => {
    await d?.stop().catch(() => {});
    if (daemon?.owned) await stopLibvirtd();
  });

  it('--libvirt URI --domain NAME: the same stats', async () => {
    daemon = await startLibvirtd();
    d = await startTestDomain(['--accel', 'kvm', '--no-boot-wait', '--no-interface']);
    expect(d.domainXml).not.toContain('qemu:commandline');
    const lines = await stats(['--libvirt', daemon.uri, '--domain', d.name]);
    checkKvmStats(lines);
    console.log(`[stats-live] libvirt: ${lines.length} stats`);
  }, 180_000);
});
