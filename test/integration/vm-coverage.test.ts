/**
 * The VM-level figures in every mode, on real VMs (issue #26 item 1): CPU times
 * (cpu.time/user/system, vcpu.N.time) from the agent on its own QMP socket, and in
 * libvirt's `qmp` and `stats` modes on an untouched transient domain, through the broker,
 * then the processor core's rates; and `qmpipe domstats --libvirt` against `virsh domstats`
 * on the same (paused) domain.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '#common/paths.js';
import { startAgent } from '#agent/main.js';
import { createCore } from '#processor/core/step.js';
import { initialState } from '#processor/core/state/state.js';
import { loadAgentConfig, type AgentConfig } from '#schemas/config/agent.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import type { Rate } from '#schemas/outputs.js';
import type { RawRecord, Sample } from '#schemas/types.js';
import { agentConfig, readRaw, sleep } from './agent-support.js';
import { startTestVm, type TestVm } from './helpers/index.js';
import {
  libvirtUnavailable,
  parseDomstats,
  startLibvirtd,
  startTestDomain,
  stopLibvirtd,
  virsh,
  type LibvirtDaemon,
  type TestDomain,
} from './libvirt-support.js';

const run = promisify(execFile);
const bin = join(packageRoot(), 'bin', 'qmpipe.mjs');
const noLibvirt = libvirtUnavailable();
if (noLibvirt) console.log(`[vm-coverage] libvirt cases skipped: ${noLibvirt}`);

/** Runs the agent for `ms`, then returns everything it published up to its last second. */
async function agentRecords(cfg: AgentConfig, ms: number): Promise<RawRecord[]> {
  const agent = await startAgent(cfg);
  await sleep(ms);
  const lastTick = Date.now() - 1000;
  await agent.stop();
  return readRaw(cfg.kafka.rawTopic, (rs) => rs.some((r) => r.body.kind === 'Sample' && r.t >= lastTick));
}

const samplesOf = (rs: RawRecord[]): Sample[] => rs.flatMap((r) => (r.body.kind === 'Sample' ? [r.body.value] : []));

function ratesOf(rs: RawRecord[]): Rate[] {
  const core = createCore(defaultProcessorConfig(), { emitRates: true });
  return core.step(
    initialState(),
    [...rs].sort((a, b) => a.seq - b.seq),
  ).outputs.rates;
}

/** utime + stime of a process, µs (the same reading as the agent's, 10 ms ticks). */
function processCpuUs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * 10_000;
}

/** The CPU checks every mode shares: every sample has CPU times, they grow, and the core makes rates of them. */
function checkCpu(label: string, rs: RawRecord[], vcpus: number): { last: NonNullable<Sample['cpu']>; rates: Rate[] } {
  const samples = samplesOf(rs);
  expect(samples.length, `${label}: samples`).toBeGreaterThan(3);
  const cpus = samples.map((s) => s.cpu);
  expect(
    cpus.every((c) => c !== null),
    `${label}: every sample has CPU times`,
  ).toBe(true);
  const last = cpus[cpus.length - 1]!;
  expect(last.timeUs).toBeGreaterThan(0);
  expect(last.userUs! + last.systemUs!).toBe(last.timeUs);
  expect(last.vcpus.map((v) => v.index)).toEqual(Array.from({ length: vcpus }, (_, i) => i));
  const times = cpus.map((c) => c!.timeUs!);
  expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
  const rates = ratesOf(rs);
  const cpuRates = rates.filter((r) => r.series === 'cpu.time');
  expect(cpuRates.length, `${label}: cpu.time rates`).toBeGreaterThan(1);
  expect(cpuRates.every((r) => r.unit === 'seconds/s' && r.value >= 0 && r.value <= 4)).toBe(true);
  expect(rates.some((r) => r.series === 'vcpu.0.time')).toBe(true);
  console.log(
    `[vm-coverage] ${label}: ${samples.length} samples; last cpu.time ${last.timeUs} µs (user ${last.userUs}, system ${last.systemUs}), vcpus ${last.vcpus.map((v) => `${v.index}:${v.timeUs}`).join(' ')}; mean cpu.time rate ${(cpuRates.reduce((a, r) => a + r.value, 0) / cpuRates.length).toFixed(3)}`,
  );
  return { last, rates };
}

describe('on the agent’s own QMP socket', () => {
  let vm: TestVm | undefined;
  afterAll(async () => {
    await vm?.stop();
  });

  it('CPU times from procfs: cpu.* of the QEMU process, vcpu.0.time, their rates; domstats --socket prints them', async () => {
    vm = await startTestVm({ noBootWait: true });
    const rs = await agentRecords(agentConfig({ sockets: [{ path: vm.qmpAgent }], fastIntervalMs: 500 }), 3500);
    const { last } = checkCpu('socket', rs, 1);
    const now = processCpuUs(vm.pid);
    expect(now).toBeGreaterThanOrEqual(last.timeUs!); // the same reading, later
    const ds = parseDomstats((await run(process.execPath, [bin, 'domstats', '--socket', vm.qmpAgent, '--cpu-total', '--vcpu'])).stdout);
    expect([...ds.keys()]).toEqual(['cpu.time', 'cpu.user', 'cpu.system', 'vcpu.0.time']);
    expect(Number(ds.get('cpu.time'))).toBeGreaterThanOrEqual(now * 1000);
  }, 180_000);
});

describe.skipIf(noLibvirt !== null)('on a stock libvirt host (domain untouched)', () => {
  let daemon: LibvirtDaemon;
  const domains: TestDomain[] = [];
  afterAll(async () => {
    for (const d of domains) await d.stop().catch(() => {});
    if (daemon?.owned) await stopLibvirtd();
  });

  async function domain(): Promise<TestDomain> {
    daemon ??= await startLibvirtd();
    const d = await startTestDomain(['--no-boot-wait', '--no-interface']);
    domains.push(d);
    expect(d.domainXml).not.toContain('qemu:commandline');
    return d;
  }

  it.each(['qmp', 'stats'] as const)(
    'CPU times in %s mode: cpu.*, vcpu.N.time of both vCPUs, their rates',
    async (mode) => {
      const d = await domain();
      const base = agentConfig({ fastIntervalMs: 500 });
      const cfg = loadAgentConfig({ raw: { ...structuredClone(base), libvirt: { uri: daemon.uri, socket: daemon.socketPath, mode, domains: [d.name] } } });
      const rs = await agentRecords(cfg, 3500);
      checkCpu(mode, rs, 2);
    },
    180_000,
  );

  it('qmpipe domstats --libvirt --cpu-total --vcpu equals virsh domstats on a paused domain', async () => {
    const d = await domain();
    await virsh('suspend', d.name);
    await sleep(500);
    const ours = parseDomstats(
      (await run(process.execPath, [bin, 'domstats', '--libvirt', daemon.uri, '--domain', d.name, '--cpu-total', '--vcpu', '--block'])).stdout,
    );
    const theirs = parseDomstats(await virsh('domstats', '--cpu-total', '--vcpu', '--block', d.name));
    const both = [...ours.keys()].filter((k) => theirs.has(k));
    console.log(`[vm-coverage] domstats: both print ${both.join(' ')}; theirs only ${[...theirs.keys()].filter((k) => !ours.has(k)).join(' ')}`);
    for (const k of ['cpu.time', 'cpu.user', 'cpu.system', 'vcpu.0.time', 'vcpu.1.time']) expect(both).toContain(k);
    // libvirt without a domain cgroup (this host's) reads the same /proc/<pid>/stat; the emulator thread may tick meanwhile.
    for (const k of ['cpu.time', 'cpu.user', 'cpu.system']) expect(Math.abs(Number(ours.get(k)) - Number(theirs.get(k))), k).toBeLessThanOrEqual(100_000_000);
    for (const k of both.filter((x) => !x.startsWith('cpu.') && !/\.(allocation|physical)$/.test(x) && !x.endsWith('.backingIndex') && !x.endsWith('.name')))
      expect(ours.get(k), k).toBe(theirs.get(k));
  }, 180_000);
});
