/**
 * One `qmpipe top` frame: TopState → the values a person (screen.ts) or a program
 * (`--json`) reads, per VM. Pure. Rates come from the core's series (docs/processor-core.md):
 *
 *   CPU, memory      cpu.time (CPUs busy), balloon.current, balloon.rss
 *   exits/s          Σ vcpu.N.exits
 *   halt-poll        Σ vcpu.N.halt_successful_poll / Σ vcpu.N.halt_attempted_poll
 *   disk B/s, IOPS   Σ block.<dev>.{rd,wr}.bytes, Σ block.<dev>.{rd,wr}.reqs
 *   latency per op   block.<dev>.{rd,wr}.latency (VM row: weighted by the device's requests)
 *   net              Σ net.<if>.{rx,tx}.bytes
 *   chain            the last Sample's elements (what `qmpipe domstats --backing` prints),
 *                    with the core's block.<dev>.<i>.free and .growth; without Samples
 *                    (--kafka) the elements of the block.<dev>.<i>.* gauges
 *   quantiles        <prefix>.<hist>.p50/p90/p99, unit from the stats schema
 *   queryStats       every stat of the last Sample's query-stats replies (statsFrame.ts)
 */
import type { Alert, AlertLabels } from '#schemas/outputs.js';
import type { ChainRow, DiskFrame, IoRates, Quantiles, VcpuFrame, FiringFrame, FullestFrame, VmFrame, Frame } from './frameTypes.js';
import { queryStatsOf } from './statsFrame.js';
import { freshSeries, type DiskTop, type ElementTop, type SeriesValue, type TopState, type VmTop } from './topState.js';

export type { ChainRow, DiskFrame, IoRates, Quantiles, QueryStatsFrame, VcpuFrame, FiringFrame, FullestFrame, VmFrame, Frame } from './frameTypes.js';

export interface FrameOptions {
  /** Growth below this is "not growing" (the core's timeToFull.minGrowthBytesPerSecond). */
  minGrowth?: number;
}

const CHAIN = /^block\.([^.]+)\.(\d+)\.(allocation|capacity|physical|free|growth)$/;

function sum(values: Array<number | undefined>): number | null {
  const present = values.filter((x): x is number => x !== undefined);
  return present.length ? present.reduce((a, b) => a + b, 0) : null;
}

/** Latest values by series name (fresh ones only). */
type Values = ReadonlyMap<string, SeriesValue>;

function val(m: Values, series: string): number | undefined {
  return m.get(series)?.value;
}

/** Requests-weighted latency over devices. */
function latency(m: Values, devs: readonly string[], op: 'rd' | 'wr'): number | null {
  let ops = 0;
  let time = 0;
  for (const d of devs) {
    const l = val(m, `block.${d}.${op}.latency`);
    const n = val(m, `block.${d}.${op}.reqs`);
    if (l !== undefined && n !== undefined && n > 0) {
      ops += n;
      time += l * n;
    }
  }
  return ops > 0 ? time / ops : null;
}

function ioRates(m: Values, devs: readonly string[]): IoRates {
  return {
    readBytesPerSecond: sum(devs.map((d) => val(m, `block.${d}.rd.bytes`))),
    writeBytesPerSecond: sum(devs.map((d) => val(m, `block.${d}.wr.bytes`))),
    readIops: sum(devs.map((d) => val(m, `block.${d}.rd.reqs`))),
    writeIops: sum(devs.map((d) => val(m, `block.${d}.wr.reqs`))),
    readLatencySeconds: latency(m, devs, 'rd'),
    writeLatencySeconds: latency(m, devs, 'wr'),
  };
}

export function timeToFull(free: number | null, growth: number | null, minGrowth: number): number | null {
  if (free === null) return null;
  if (free <= 0) return 0;
  if (growth === null || growth < minGrowth) return null;
  return free / growth;
}

function chainRow(e: ElementTop, m: Values, dev: string, minGrowth: number): ChainRow {
  const p = `block.${dev}.${e.backingIndex}`;
  const own = e.blockDevice && e.allocation !== null && e.physical !== null ? e.physical - e.allocation : null;
  const free = val(m, `${p}.free`) ?? own;
  const growth = val(m, `${p}.growth`) ?? null;
  const fill = e.allocation !== null && e.physical !== null && e.physical > 0 ? e.allocation / e.physical : null;
  return { ...e, free, growth, fill, timeToFullSeconds: e.blockDevice ? timeToFull(free, growth, minGrowth) : null };
}

/** Without Samples: the chain elements the block.<dev>.<i>.* gauges describe. */
function disksFromRates(m: Values): DiskTop[] {
  const byDev = new Map<string, Map<number, ElementTop>>();
  for (const [series, x] of m) {
    const c = CHAIN.exec(series);
    if (!c) continue;
    const [, dev, idx, field] = c as unknown as [string, string, string, string];
    const els = byDev.get(dev) ?? byDev.set(dev, new Map()).get(dev)!;
    const i = Number(idx);
    const e = els.get(i) ?? { backingIndex: i, node: null, filename: null, allocation: null, capacity: null, physical: null, blockDevice: false };
    if (field === 'free')
      e.blockDevice = true; // the core emits free for block devices only
    else if (field !== 'growth') e[field as 'allocation' | 'capacity' | 'physical'] = x.value;
    els.set(i, e);
  }
  for (const series of m.keys()) {
    const d = /^block\.([^.]+)\.wr\.bytes$/.exec(series)?.[1];
    if (d && !byDev.has(d)) byDev.set(d, new Map());
  }
  return [...byDev.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([device, els]) => ({ device, chain: [...els.values()].sort((a, b) => a.backingIndex - b.backingIndex) }));
}

function vcpus(m: Values): VcpuFrame[] {
  const ids = new Set<number>();
  for (const s of m.keys()) {
    const n = /^vcpu\.(\d+)\./.exec(s)?.[1];
    if (n !== undefined) ids.add(Number(n));
  }
  return [...ids]
    .sort((a, b) => a - b)
    .map((i) => {
      const attempted = val(m, `vcpu.${i}.halt_attempted_poll`);
      const ok = val(m, `vcpu.${i}.halt_successful_poll`);
      return { vcpu: i, exitsPerSecond: val(m, `vcpu.${i}.exits`) ?? null, haltPollSuccess: attempted && ok !== undefined ? ok / attempted : null };
    });
}

function quantiles(m: Values): Quantiles[] {
  const out = new Map<string, Quantiles>();
  for (const [s, x] of m) {
    const q = /^(.+)\.(p50|p90|p99)$/.exec(s);
    if (!q) continue;
    const key = q[1]!;
    const e = out.get(key) ?? out.set(key, { series: key, unit: x.unit, p50: null, p90: null, p99: null }).get(key)!;
    e[q[2] as 'p50' | 'p90' | 'p99'] = x.value;
  }
  return [...out.values()].sort((a, b) => a.series.localeCompare(b.series, 'en', { numeric: true }));
}

function fullestOf(disks: readonly DiskFrame[]): FullestFrame | null {
  let best: FullestFrame | null = null;
  let bestRank = -1;
  for (const d of disks) {
    for (const e of d.chain) {
      if (e.fill === null) continue;
      // Elements on block devices (whose physical size is a limit) first, then by fill.
      const rank = (e.free !== null ? 10 : 0) + e.fill;
      if (rank > bestRank) {
        bestRank = rank;
        best = { device: d.device, backingIndex: e.backingIndex, node: e.node, fill: e.fill, growth: e.growth, timeToFullSeconds: e.timeToFullSeconds };
      }
    }
  }
  return best;
}

export function alertTarget(l: AlertLabels): string {
  const dev = l.device + (l.backingIndex === null ? '' : `[${l.backingIndex}]`);
  return [dev, l.blockJob ? `job ${l.blockJob}` : l.node].filter(Boolean).join(' ');
}

function firingOf(s: TopState, uuid: string): FiringFrame[] {
  const rank = (a: Alert) => (a.severity === 'critical' ? 0 : 1);
  return Object.values(s.firing)
    .filter((a) => a.labels.vmUuid === uuid)
    .sort((a, b) => rank(a) - rank(b) || a.startsAt - b.startsAt || a.id.localeCompare(b.id))
    .map((a) => ({
      id: a.id,
      type: a.type,
      severity: a.severity,
      device: a.labels.device,
      backingIndex: a.labels.backingIndex,
      node: a.labels.node,
      job: a.labels.blockJob,
      since: a.startsAt,
      message: a.message,
    }));
}

/** virDomainState by number, in QMP's words where QMP has one (pmsuspended is QMP's suspended). */
const DOMAIN_STATES = ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'suspended'];
/** virDomainPausedReason VIR_DOMAIN_PAUSED_IOERROR: QMP's io-error. */
const PAUSED_IOERROR = 5;

/** The run state the core's state.state/state.reason series say (the --kafka source has no Sample). */
function stateFromSeries(m: Values): string | undefined {
  const state = val(m, 'state.state');
  if (state === undefined) return undefined;
  if (state === 3 && val(m, 'state.reason') === PAUSED_IOERROR) return 'io-error';
  return DOMAIN_STATES[state];
}

/** The VM's state: its last Sample's run state; without Samples the state.state series, else what its alerts say. */
function stateOf(v: VmTop, firing: readonly FiringFrame[], m: Values): string {
  if (firing.some((f) => f.type === 'stale')) return 'stale';
  if (v.status !== null) return v.status;
  return stateFromSeries(m) ?? (firing.some((f) => f.type === 'paused-enospc') ? 'paused' : 'running');
}

export function vmFrame(s: TopState, v: VmTop, o: FrameOptions = {}): VmFrame {
  const minGrowth = o.minGrowth ?? 4_096;
  const m: Values = new Map(freshSeries(v));
  const tops = v.sampleT !== null ? v.disks : disksFromRates(m);
  const disks: DiskFrame[] = tops.map((d) => ({ device: d.device, ...ioRates(m, [d.device]), chain: d.chain.map((e) => chainRow(e, m, d.device, minGrowth)) }));
  const cpus = vcpus(m);
  const netIfs = [...new Set([...m.keys()].map((k) => /^net\.([^.]+)\./.exec(k)?.[1]).filter((x): x is string => x !== undefined))];
  const firing = firingOf(s, v.uuid);
  const attempted = sum(cpus.map((c) => val(m, `vcpu.${c.vcpu}.halt_attempted_poll`)));
  const succeeded = sum(cpus.map((c) => val(m, `vcpu.${c.vcpu}.halt_successful_poll`)));
  return {
    vm: v.vm,
    uuid: v.uuid,
    host: v.host,
    state: stateOf(v, firing, m),
    t: v.t,
    vcpuCount: cpus.length,
    cpu: val(m, 'cpu.time') ?? null,
    memoryBytes: val(m, 'balloon.current') ?? null,
    rssBytes: val(m, 'balloon.rss') ?? null,
    exitsPerSecond: sum(cpus.map((c) => c.exitsPerSecond ?? undefined)),
    haltPollSuccess: attempted && succeeded !== null ? succeeded / attempted : null,
    ...ioRates(
      m,
      disks.map((d) => d.device),
    ),
    rxBytesPerSecond: sum(netIfs.map((i) => val(m, `net.${i}.rx.bytes`))),
    txBytesPerSecond: sum(netIfs.map((i) => val(m, `net.${i}.tx.bytes`))),
    fullest: fullestOf(disks),
    disks,
    vcpus: cpus,
    quantiles: quantiles(m),
    queryStats: queryStatsOf(v),
    events: v.events.map((e) => ({ t: e.t, event: e.event })),
    firing,
    alertHistory: v.history.map((a) => ({ t: a.t, type: a.type, state: a.state, severity: a.severity, target: alertTarget(a.labels), message: a.message })),
  };
}

/** Every VM, by host then name. */
export function buildFrame(s: TopState, o: FrameOptions = {}): Frame {
  const vms = Object.values(s.vms)
    .map((v) => vmFrame(s, v, o))
    .sort((a, b) => a.host.localeCompare(b.host) || a.vm.localeCompare(b.vm) || a.uuid.localeCompare(b.uuid));
  return { t: s.t, vms };
}
