/**
 * The VM-level figures in every mode, on real VMs (issue #26 item 1): CPU times
 * (cpu.time/user/system, vcpu.N.time) and memory (balloon.current/maximum/rss, the guest's
 * own figures) from the agent on its own QMP socket, and in libvirt's `qmp` and `stats`
 * modes on an untouched transient domain, through the broker, then the processor core's
 * series; a VM without a balloon; and `qmpipe domstats --libvirt` against `virsh domstats`
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
import * as lv from './libvirt-support.js';

const run = promisify(execFile);
const bin = join(packageRoot(), 'bin', 'qmpipe.mjs');
const noLibvirt = lv.libvirtUnavailable();
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

const MiB = 1024 * 1024;

/** VmRSS of a process, bytes. */
function processRssBytes(pid: number): number {
  return Number(/^VmRSS:\s*(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))![1]) * 1024;
}

/** The agent's records over `ms`, and the lowest and highest RSS of process `pid` read every 50 ms meanwhile (a booting guest's RSS moves). */
async function recordsAndRss(cfg: AgentConfig, ms: number, pid: number): Promise<{ rs: RawRecord[]; rss: [number, number] }> {
  const seen = [processRssBytes(pid)];
  const timer = setInterval(() => seen.push(processRssBytes(pid)), 50);
  try {
    const rs = await agentRecords(cfg, ms);
    seen.push(processRssBytes(pid));
    return { rs, rss: [Math.min(...seen), Math.max(...seen)] };
  } finally {
    clearInterval(timer);
  }
}

/**
 * The memory checks every mode shares: the balloon's size and the RAM (160 MiB, the test
 * VMs'), the process's RSS within what procfs showed during the run, as gauges.
 */
function checkMemory(label: string, rs: RawRecord[], [rssLow, rssHigh]: [number, number]): NonNullable<Sample['memory']> {
  const memories = samplesOf(rs).map((s) => s.memory);
  expect(
    memories.every((m) => m !== null),
    `${label}: every sample has memory`,
  ).toBe(true);
  const last = memories[memories.length - 1]!;
  expect([last.currentBytes, last.maximumBytes]).toEqual([160 * MiB, 160 * MiB]);
  expect(last.rssBytes!, `${label}: rss within [${rssLow}, ${rssHigh}] ± 1 MiB`).toBeGreaterThanOrEqual(rssLow - MiB);
  expect(last.rssBytes!).toBeLessThanOrEqual(rssHigh + MiB);
  const series = new Set(ratesOf(rs).map((r) => r.series));
  for (const s of ['balloon.current', 'balloon.maximum', 'balloon.rss']) expect(series, `${label}: ${s}`).toContain(s);
  console.log(`[vm-coverage] ${label} memory: ${JSON.stringify(last)}`);
  return last;
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
  // procfs in every mode here (stats mode too: the agent reads the QEMU pid libvirt wrote): time = user + system
  // exactly, in whole clock ticks; libvirt's cgroup figures (its cpu-total group) would not add up.
  expect(last.userUs! + last.systemUs!, `${label}: cpu.time is user + system (procfs)`).toBe(last.timeUs);
  expect(last.timeUs! % 10_000).toBe(0);
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

  it("CPU times from procfs, memory from the balloon, the guest's own figures; domstats --socket prints them", async () => {
    vm = await startTestVm(); // booted: the guest's balloon driver reports (polled every second)
    const { rs, rss } = await recordsAndRss(agentConfig({ sockets: [{ path: vm.qmpAgent }], fastIntervalMs: 500, slowIntervalMs: 1000 }), 4000, vm.pid);
    const { last } = checkCpu('socket', rs, 1);
    const memory = checkMemory('socket', rs, rss);
    expect(memory.availableBytes).toBeGreaterThan(64 * MiB); // the guest's MemTotal
    expect(memory.availableBytes).toBeLessThanOrEqual(160 * MiB);
    expect(memory.unusedBytes).toBeGreaterThan(0);
    expect(memory.lastUpdate! * 1000).toBeGreaterThan(Date.now() - 60_000);
    expect(ratesOf(rs).some((r) => r.series === 'balloon.usable' && r.unit === 'bytes')).toBe(true);
    expect(samplesOf(rs).flatMap((s) => s.errors)).toEqual([]);
    const now = processCpuUs(vm.pid);
    expect(now).toBeGreaterThanOrEqual(last.timeUs!); // the same reading, later
    const ds = lv.parseDomstats((await run(process.execPath, [bin, 'domstats', '--socket', vm.qmpAgent, '--cpu-total', '--balloon', '--vcpu'])).stdout);
    expect([...ds.keys()].filter((k) => !k.startsWith('balloon.'))).toEqual(['cpu.time', 'cpu.user', 'cpu.system', 'vcpu.0.time']);
    expect(Number(ds.get('cpu.time'))).toBeGreaterThanOrEqual(now * 1000);
    expect([ds.get('balloon.current'), ds.get('balloon.maximum')]).toEqual([String(160 * 1024), String(160 * 1024)]);
    expect(Number(ds.get('balloon.available'))).toBe(Math.floor(memory.availableBytes! / 1024));
  }, 180_000);

  it('a VM without a balloon: no balloon figures (null, not 0), one notice, no failed queries', async () => {
    const plain = await startTestVm({ noBootWait: true, noBalloon: true });
    try {
      const rs = await agentRecords(agentConfig({ sockets: [{ path: plain.qmpAgent }], fastIntervalMs: 500, slowIntervalMs: 1000 }), 3000);
      const samples = samplesOf(rs);
      expect(samples.length).toBeGreaterThan(3);
      for (const s of samples) {
        expect(s.memory).toMatchObject({ currentBytes: null, availableBytes: null, maximumBytes: 160 * MiB });
        expect(s.memory!.rssBytes).toBeGreaterThan(0);
        expect(s.errors).toEqual([]);
      }
      const notices = rs.flatMap((r) => (r.body.kind === 'AgentNotice' && r.body.value.kind === 'degraded' ? [r.body.value.message] : []));
      expect(notices.filter((m) => m.includes('balloon'))).toHaveLength(1);
      expect(ratesOf(rs).some((r) => r.series === 'balloon.current')).toBe(false);
    } finally {
      await plain.stop();
    }
  }, 180_000);
});

describe.skipIf(noLibvirt !== null)('on a stock libvirt host (domain untouched)', () => {
  let daemon: lv.LibvirtDaemon;
  const domains: lv.TestDomain[] = [];
  afterAll(async () => {
    for (const d of domains) await d.stop().catch(() => {});
    if (daemon?.owned) await lv.stopLibvirtd();
  });

  async function domain(): Promise<lv.TestDomain> {
    daemon ??= await lv.startLibvirtd();
    const d = await lv.startTestDomain(['--no-boot-wait', '--no-interface']);
    domains.push(d);
    expect(d.domainXml).not.toContain('qemu:commandline');
    return d;
  }

  it.each(['qmp', 'stats'] as const)(
    'CPU, memory and state in %s mode: cpu.*, vcpu.N.time of both vCPUs, balloon.current/maximum/rss, state.reason, their series',
    async (mode) => {
      const d = await domain();
      const base = agentConfig({ fastIntervalMs: 500, slowIntervalMs: 1000 });
      const cfg = loadAgentConfig({ raw: { ...structuredClone(base), libvirt: { uri: daemon.uri, socket: daemon.socketPath, mode, domains: [d.name] } } });
      const { rs, rss } = await recordsAndRss(cfg, 3500, d.pid);
      checkCpu(mode, rs, 2);
      checkMemory(mode, rs, rss);
      // stats mode carries libvirt's own state and reason (running, booted); qmp mode has QMP's status only
      const states = samplesOf(rs).map((s) => s.libvirtState);
      expect(states.every((s) => (mode === 'stats' ? s?.state === 1 && s.reason === 1 : s === null))).toBe(true);
      expect(ratesOf(rs).find((r) => r.series === 'state.reason')?.value).toBe(mode === 'stats' ? 1 : 0);
    },
    180_000,
  );

  it('qmpipe domstats --libvirt --state --cpu-total --balloon --vcpu equals virsh domstats on a paused domain', async () => {
    const d = await domain();
    await lv.virsh('suspend', d.name);
    await sleep(500);
    const ours = lv.parseDomstats(
      (await run(process.execPath, [bin, 'domstats', '--libvirt', daemon.uri, '--domain', d.name, '--state', '--cpu-total', '--balloon', '--vcpu', '--block']))
        .stdout,
    );
    const theirs = lv.parseDomstats(await lv.virsh('domstats', '--state', '--cpu-total', '--balloon', '--vcpu', '--block', d.name));
    const both = [...ours.keys()].filter((k) => theirs.has(k));
    console.log(`[vm-coverage] domstats: both print ${both.join(' ')}; theirs only ${[...theirs.keys()].filter((k) => !ours.has(k)).join(' ')}`);
    for (const k of [
      'state.state',
      'state.reason',
      'cpu.time',
      'cpu.user',
      'cpu.system',
      'balloon.current',
      'balloon.maximum',
      'balloon.rss',
      'vcpu.0.time',
      'vcpu.1.time',
    ])
      expect(both).toContain(k);
    expect(Math.abs(Number(ours.get('balloon.rss')) - Number(theirs.get('balloon.rss')))).toBeLessThanOrEqual(1024); // KiB, read moments apart
    // libvirt without a domain cgroup (this host's) reads the same /proc/<pid>/stat; the emulator thread may tick meanwhile.
    for (const k of ['cpu.time', 'cpu.user', 'cpu.system']) expect(Math.abs(Number(ours.get(k)) - Number(theirs.get(k))), k).toBeLessThanOrEqual(100_000_000);
    for (const k of both.filter(
      (x) => !x.startsWith('cpu.') && x !== 'balloon.rss' && !/\.(allocation|physical)$/.test(x) && !x.endsWith('.backingIndex') && !x.endsWith('.name'),
    ))
      expect(ours.get(k), k).toBe(theirs.get(k));
  }, 180_000);
});
