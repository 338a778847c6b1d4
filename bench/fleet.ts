/**
 * A synthetic fleet for benchmarks, cloned from the shared fixtures' records: 9 in 10
 * VMs from kvm-vcpu-stats.jsonl (2 vCPUs × 47 stats with log2 histograms, 16 VM stats,
 * a disk), 1 in 10 from thin-lv-enospc-commit.jsonl (backing chain, events, alerts).
 * Each VM has its own identity and values (v·m + offset, still monotonic), and records
 * come tick by tick across VMs, as on a partition.
 */
import { ProcessorConfig } from '#schemas/config/processor.js';
import type { BlockCounters, RawRecord, Sample, StatsResult, StatsSchemaSnapshot } from '#schemas/types.js';
import { createContext, statsLayoutFor } from '#processor/core/context.js';
import { SKIP } from '#processor/core/series/layout.js';
import { fixturePath } from './util.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';

/** A fixture's records as groups: everything up to and including each Sample. */
function tickGroups(file: string): RawRecord[][] {
  const groups: RawRecord[][] = [];
  let cur: RawRecord[] = [];
  for (const r of transcriptRecords(fixturePath('qmp', file)).records) {
    cur.push(r);
    if (r.body.kind === 'Sample') {
      groups.push(cur);
      cur = [];
    }
  }
  return groups;
}

/** The numbers a record carries: query-stats slots, 23 block counters per device, 4 per chain element, 8 per tap. */
export function valuesOf(r: RawRecord): number {
  if (r.body.kind !== 'Sample') return 0;
  const s = r.body.value;
  let n = 0;
  for (const x of s.stats?.results ?? []) n += x.values.length;
  for (const d of s.blockDevices) n += 23 + 4 * d.chain.length;
  return n + 8 * s.net.length;
}

const kvm = tickGroups('kvm-vcpu-stats.jsonl');
const thin = tickGroups('thin-lv-enospc-commit.jsonl');
/** Ticks `fleet` yields before a template starts again from its first tick (its counters go back). */
export const FLEET_TEMPLATE_TICKS = Math.min(kvm.length, thin.length);
const T0 = 1_800_000_000_000;
const kvmStart = kvm[0]![0]!.t;
const thinStart = thin[0]![0]!.t;

const layoutCtx = createContext(ProcessorConfig.parse({}));
const snapshot = kvm[0]!.find((r) => r.body.kind === 'StatsSchemaSnapshot')!.body.value as StatsSchemaSnapshot;
/** Slots of a values array that are not histogram sizes (those must keep their value). */
function dataSlots(res: StatsResult): Uint8Array {
  const l = statsLayoutFor(layoutCtx, snapshot, res.provider, res.target, res.values);
  return l ? l.kinds.map((k) => (k === SKIP ? 0 : 1)) : new Uint8Array(res.values.length);
}

function perturb(s: Sample, i: number): Sample {
  const m = 1 + (i % 13);
  const off = i * 977;
  const f = (v: number) => (v < 0 ? v : v * m + off);
  const stats = s.stats && {
    ...s.stats,
    results: s.stats.results.map((res) => {
      const keep = dataSlots(res);
      return { ...res, values: res.values.map((v, k) => (keep[k] ? f(v) : v)) };
    }),
  };
  const blockDevices = s.blockDevices.map((d) => ({
    ...d,
    counters: Object.fromEntries(Object.entries(d.counters).map(([k, v]) => [k, v === null ? null : f(v)])) as unknown as BlockCounters,
  }));
  return { ...s, stats, blockDevices };
}

/** A template record for VM i: its own identity and values, times moved onto one common start. */
function clone(r: RawRecord, i: number, seq: number, start: number, t0: number, instance = `inst-${i}`): RawRecord {
  const body = r.body.kind === 'Sample' ? { kind: 'Sample' as const, value: perturb(r.body.value, i) } : r.body;
  return { ...r, seq, t: r.t - start + t0, body, vm: { ...r.vm, host: `host-${i % 500}`, uuid: `name:vm-${i}`, name: `vm-${i}`, instanceId: instance } };
}

/** The fleet's records, tick by tick across VMs (`seq` = tick number). */
export function* fleet(vms: number, ticks: number, opts: { kvmOnly?: boolean; t0?: number } = {}): Generator<RawRecord> {
  const t0 = opts.t0 ?? T0;
  for (let k = 0; k < ticks; k++) {
    for (let i = 0; i < vms; i++) {
      const isThin = !opts.kvmOnly && i % 10 === 9;
      const tpl = isThin ? thin : kvm;
      for (const r of tpl[k % tpl.length]!) yield clone(r, i, k, isThin ? thinStart : kvmStart, t0);
    }
  }
}

/**
 * A long fleet, one tick's records at a time: `ticks` ticks in runs of FLEET_TEMPLATE_TICKS,
 * each run every VM's next QEMU instance (a new instance id, its schema snapshot again, the
 * template's counters from their start) one second after the previous run, so time only
 * moves forward and no counter goes back within an instance.
 */
export function* fleetTicks(vms: number, ticks: number): Generator<RawRecord[]> {
  for (let k = 0; k < ticks; k++) {
    const run = Math.floor(k / FLEET_TEMPLATE_TICKS);
    const j = k % FLEET_TEMPLATE_TICKS;
    const t0 = T0 + run * (FLEET_TEMPLATE_TICKS + 1) * 1000;
    const out: RawRecord[] = [];
    for (let i = 0; i < vms; i++) {
      const isThin = i % 10 === 9;
      for (const r of (isThin ? thin : kvm)[j]!) out.push(clone(r, i, k, isThin ? thinStart : kvmStart, t0, `inst-${i}-${run}`));
    }
    yield out;
  }
}

/** The index of a fleet VM (`vm-<i>`), which decides its raw-topic partition in the scale-out bench. */
export function vmIndex(r: RawRecord): number {
  return Number(r.vm.name.slice(3));
}

/** One tick of a kvm-only fleet, as an array. */
export function fleetTick(vms: number, k: number): RawRecord[] {
  const out: RawRecord[] = [];
  for (let i = 0; i < vms; i++) for (const r of kvm[k]!) out.push(clone(r, i, k, kvmStart, T0));
  return out;
}

/** The thin-LV fixture's records, for one VM with a given name (alert latency runs). */
export function thinTemplate(): RawRecord[][] {
  return thin;
}
