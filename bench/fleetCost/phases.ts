/**
 * The measured phases of the fleet-cost bench, each on the same paused domains:
 *
 *   agent     `qmpipe agent` polling N second monitors: the process's CPU per VM-poll
 *   exporter  prometheus-libvirt-exporter scraped every second: exporter + libvirtd CPU per
 *             VM per scrape
 *   virsh     `virsh domstats --block --backing --vcpu --state DOMAINS` every second: libvirtd
 *             CPU per VM, and virsh's own
 *   quiet     nothing asked of libvirtd: its background CPU, for reading the others
 *
 * Every request loop keeps the agent's cadence (1 s, on a grid) and is bounded in time.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AgentChild, type AgentChildOptions } from './agentChild.js';
import { delta, reapedChildrenCpuMs, rssMb, sleep, snapshot, type ProcDelta } from './procfs.js';

export interface AgentPhase {
  polls: number;
  missed: number;
  cpu: ProcDelta;
  libvirtd: ProcDelta;
  rssMb: number;
  records: number;
  /** Bytes of the phase's raw topic in the broker's log dir when `records` were acknowledged, if known. */
  brokerBytes: number | undefined;
  /** The measured window on CLOCK_MONOTONIC, µs (for a --cpu-prof profile). */
  windowMonoUs: [number, number];
  /** CPU ms per VM-poll in each WARMUP_STEP_MS step of the warm-up: V8 tiering up (the cold cost). */
  warmupCurve: number[];
}

/** The warm-up is read in steps of this length (the last step may be shorter). */
export const WARMUP_STEP_MS = 30_000;

/** Bytes of a topic's log segments in a broker data dir. */
export function topicBytes(dataDir: string, topic: string): number {
  let n = 0;
  for (const d of readdirSync(dataDir)) {
    if (!d.startsWith(`${topic}-`) || !/^\d+$/.test(d.slice(topic.length + 1))) continue;
    for (const f of readdirSync(join(dataDir, d))) if (f.endsWith('.log')) n += statSync(join(dataDir, d, f)).size;
  }
  return n;
}

export async function agentPhase(
  o: AgentChildOptions & { libvirtdPid: number; warmupMs: number; windowMs: number; dataDir: string | undefined; onStart?: (a: AgentChild) => void },
): Promise<AgentPhase> {
  const a = await AgentChild.start(o);
  o.onStart?.(a);
  try {
    await a.waitPolls((o.libvirt?.domains.length ?? o.sockets.length) * 2, 60_000);
    const warmupCurve: number[] = [];
    let w0 = { s: snapshot(a.pid), c: await a.counters() };
    for (let left = o.warmupMs; left > 0; left -= WARMUP_STEP_MS) {
      await sleep(Math.min(left, WARMUP_STEP_MS));
      const w1 = { s: snapshot(a.pid), c: await a.counters() };
      warmupCurve.push(delta(w0.s, w1.s).statMs / Math.max(1, w1.c.polls - w0.c.polls));
      w0 = w1;
    }
    const c0 = await a.counters();
    const s0 = snapshot(a.pid);
    const l0 = snapshot(o.libvirtdPid);
    await sleep(o.windowMs);
    const s1 = snapshot(a.pid);
    const l1 = snapshot(o.libvirtdPid);
    const c1 = await a.counters();
    const brokerBytes = o.dataDir ? topicBytes(o.dataDir, o.rawTopic) : undefined;
    const rss = rssMb(a.pid);
    await a.stop();
    return {
      polls: c1.polls - c0.polls,
      missed: c1.missed - c0.missed,
      cpu: delta(s0, s1),
      libvirtd: delta(l0, l1),
      rssMb: rss,
      records: c1.published,
      brokerBytes,
      windowMonoUs: [s0.monoUs, s1.monoUs],
      warmupCurve,
    };
  } finally {
    a.killNow();
  }
}

/** Runs `fn` every `periodMs` on a grid for `ms`; returns how many runs completed. */
async function onGrid(periodMs: number, ms: number, fn: () => Promise<void>): Promise<number> {
  const end = performance.now() + ms;
  let next = performance.now();
  let n = 0;
  while (next < end) {
    await fn();
    n++;
    next += periodMs;
    await sleep(Math.max(0, next - performance.now()));
  }
  return n;
}

export interface ExporterPhase {
  scrapes: number;
  exporter: ProcDelta;
  libvirtd: ProcDelta;
  /** libvirt_domains_number of the last scrape: every domain of this libvirtd, ours or not. */
  domains: number;
  /** Sample lines per scrape: all of them, and the libvirt_domain_* ones. */
  series: number;
  domainSeries: number;
  scrapeMs: number;
}

export async function exporterPhase(url: string, exporterPid: number, libvirtdPid: number, warmupMs: number, windowMs: number): Promise<ExporterPhase> {
  let page = '';
  let took = 0;
  const scrape = async (): Promise<void> => {
    const t0 = performance.now();
    page = await (await fetch(url)).text();
    took += performance.now() - t0;
  };
  await onGrid(1000, warmupMs, scrape);
  took = 0;
  const e0 = snapshot(exporterPid);
  const l0 = snapshot(libvirtdPid);
  const scrapes = await onGrid(1000, windowMs, scrape);
  const e1 = snapshot(exporterPid);
  const l1 = snapshot(libvirtdPid);
  const samples = page.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return {
    scrapes,
    exporter: delta(e0, e1),
    libvirtd: delta(l0, l1),
    domains: Number(/^libvirt_domains_number (\S+)/m.exec(page)?.[1] ?? NaN),
    series: samples.length,
    domainSeries: samples.filter((l) => l.startsWith('libvirt_domain_')).length,
    scrapeMs: took / scrapes,
  };
}

export interface VirshPhase {
  calls: number;
  libvirtd: ProcDelta;
  virshMs: number;
  /** key=value lines per domain in one call's output. */
  valuesPerDomain: number;
  callMs: number;
}

/** What the virsh phase asks for by default: the block chain, vCPUs and state. */
export const VIRSH_GROUPS: readonly string[] = ['--block', '--backing', '--vcpu', '--state'];

function virshDomstats(names: readonly string[], groups: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('virsh', ['-c', 'qemu:///system', 'domstats', ...groups, ...names], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`benchmark: virsh domstats exited with ${code}`))));
  });
}

export async function virshPhase(names: readonly string[], libvirtdPid: number, windowMs: number, groups = VIRSH_GROUPS): Promise<VirshPhase> {
  let out = '';
  let took = 0;
  const call = async (): Promise<void> => {
    const t0 = performance.now();
    out = await virshDomstats(names, groups);
    took += performance.now() - t0;
  };
  await call(); // warm-up
  took = 0;
  const v0 = reapedChildrenCpuMs();
  const l0 = snapshot(libvirtdPid);
  const calls = await onGrid(1000, windowMs, call);
  const l1 = snapshot(libvirtdPid);
  const v1 = reapedChildrenCpuMs();
  const values = out.split('\n').filter((l) => l.includes('=')).length;
  return { calls, libvirtd: delta(l0, l1), virshMs: v1 - v0, valuesPerDomain: values / names.length, callMs: took / calls };
}

/** libvirtd's CPU while nothing asks it anything (the domains idle, paused). */
export async function quietPhase(libvirtdPid: number, windowMs: number): Promise<ProcDelta> {
  const l0 = snapshot(libvirtdPid);
  await sleep(windowMs);
  return delta(l0, snapshot(libvirtdPid));
}
