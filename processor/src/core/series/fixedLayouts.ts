/**
 * Layouts of the fixed-shape counters: a block device's query-blockstats (device
 * mode) counters, one slot per row of the block counter table (#schemas/blockCounters.ts)
 * in its order, and a tap interface's counters, named in libvirt's domstats vocabulary
 * (rd.reqs, rd.bytes, rd.times, …; net rx.bytes, rx.pkts, rx.errs, rx.drop), the VM's
 * run state as libvirt's numbers (state.state, state.reason: vm/domainState.ts), and the
 * QEMU process's CPU times (cpu.time, cpu.user, cpu.system, vcpu.N.time) and the VM's
 * memory (balloon.<name>, one slot per row of #schemas/memoryStats.ts).
 */
import { BLOCK_COUNTERS, type BlockCounterField, type BlockCounters } from '#schemas/blockCounters.js';
import { MEMORY_STATS, type MemoryStats } from '#schemas/memoryStats.js';
import type { CpuTimes, NetInterface } from '#schemas/types.js';
import { CUMULATIVE, GAUGE, layoutOf, type Layout, type SlotGroup } from './layout.js';

/** A fixed layout's slot: its series suffix, kind, unit and scale (raw × scale = value in unit). */
interface FixedSlot {
  name: string;
  type: 'counter' | 'gauge';
  unit: string;
  scale: number;
}

function fixed(id: string, slots: readonly FixedSlot[]): Layout {
  const groups: SlotGroup[] = slots.map((s, i) => ({ name: s.name, type: s.type, offset: i, size: 1, unit: s.unit, scale: s.scale, lower: null }));
  return layoutOf(id, slots.length, groups, (g) => (g.type === 'gauge' ? GAUGE : CUMULATIVE));
}

/** The table's raw units as series units: nanoseconds become seconds. */
const UNIT = { count: ['count', 1], bytes: ['bytes', 1], ns: ['seconds', 1e-9] } as const;

export const BLOCK_LAYOUT: Layout = fixed(
  'block',
  BLOCK_COUNTERS.map((r) => ({ name: r.series, type: r.kind, unit: UNIT[r.unit][0], scale: UNIT[r.unit][1] })),
);

const BLOCK_FIELDS: readonly BlockCounterField[] = BLOCK_COUNTERS.map((r) => r.field);

/** The slot of a block counter in BLOCK_LAYOUT: its row in the table. */
function slotOf(field: BlockCounterField): number {
  return BLOCK_FIELDS.indexOf(field);
}

/** Slot indices the block rules read (io-errors). */
export const BLOCK_SLOT = { failedWr: slotOf('failedWrOps') } as const;

/** Average latency per operation: [series, time slot, ops slot]. */
export const LATENCIES: ReadonlyArray<readonly [string, number, number]> = [
  ['rd.latency', slotOf('rdTimeNs'), slotOf('rdOps')],
  ['wr.latency', slotOf('wrTimeNs'), slotOf('wrOps')],
  ['fl.latency', slotOf('flushTimeNs'), slotOf('flushOps')],
];

/**
 * `into[i] = c.<field of row i> ?? -1` for every row, compiled once from the table (as avsc
 * compiles its record readers). A loop over the field names is one megamorphic keyed load
 * per value: on avsc-decoded counters it measured 550-780 ns per device against 20-30 ns
 * for these monomorphic loads, on the processor's hot path (one call per disk per sample).
 */
const readBlockValues = compileReader(BLOCK_FIELDS);

function compileReader(fields: readonly string[]): (c: BlockCounters, into: number[]) => number[] {
  for (const f of fields) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(f)) throw new Error(`block counter field is not an identifier: ${f}`);
  const body = fields.map((f, i) => `into[${i}] = c.${f} ?? -1;`).join('\n');
  return new Function('c', 'into', `${body}\nreturn into;`) as (c: BlockCounters, into: number[]) => number[];
}

/** The block counters in BLOCK_LAYOUT order (a null one, idle time before any I/O, = -1), written into `into` (reused). */
export function blockValues(c: BlockCounters, into: number[] = []): number[] {
  return readBlockValues(c, into);
}

const NET_FIELDS: ReadonlyArray<readonly [keyof NetInterface, string, string, number]> = [
  ['rxBytes', 'rx.bytes', 'bytes', 1],
  ['rxPackets', 'rx.pkts', 'count', 1],
  ['rxErrors', 'rx.errs', 'count', 1],
  ['rxDropped', 'rx.drop', 'count', 1],
  ['txBytes', 'tx.bytes', 'bytes', 1],
  ['txPackets', 'tx.pkts', 'count', 1],
  ['txErrors', 'tx.errs', 'count', 1],
  ['txDropped', 'tx.drop', 'count', 1],
];

export const NET_LAYOUT: Layout = fixed(
  'net',
  NET_FIELDS.map(([, name, unit, scale]) => ({ name, type: 'counter', unit, scale })),
);

export function netValues(n: NetInterface): number[] {
  return [n.rxBytes, n.rxPackets, n.rxErrors, n.rxDropped, n.txBytes, n.txPackets, n.txErrors, n.txDropped];
}

/** The VM's run state: libvirt's virDomainState and its reason, as gauges (unit `enum`: a number from libvirt's enums). */
export const STATE_LAYOUT: Layout = fixed('state', [
  { name: 'state', type: 'gauge', unit: 'enum', scale: 1 },
  { name: 'reason', type: 'gauge', unit: 'enum', scale: 1 },
]);

/** The Sample's CPU times (µs, raw.avsc CpuTimes) as counters in seconds: their rates are CPUs busy (1 = one CPU). */
export const CPU_LAYOUT: Layout = fixed('cpu', [
  { name: 'time', type: 'counter', unit: 'seconds', scale: 1e-6 },
  { name: 'user', type: 'counter', unit: 'seconds', scale: 1e-6 },
  { name: 'system', type: 'counter', unit: 'seconds', scale: 1e-6 },
]);

/** One vCPU thread's time (vcpu.N.time), µs as seconds. */
export const VCPU_TIME_LAYOUT: Layout = fixed('vcpu-time', [{ name: 'time', type: 'counter', unit: 'seconds', scale: 1e-6 }]);

/** cpu.time, cpu.user, cpu.system in CPU_LAYOUT order (unknown = -1), written into `into` (reused). */
export function cpuValues(c: CpuTimes, into: number[] = []): number[] {
  into[0] = c.timeUs ?? -1;
  into[1] = c.userUs ?? -1;
  into[2] = c.systemUs ?? -1;
  return into;
}

/** The VM's memory figures in table order: gauges and counters in their units (bytes, count, seconds). */
export const BALLOON_LAYOUT: Layout = fixed(
  'balloon',
  MEMORY_STATS.map((r) => ({ name: r.libvirt, type: r.kind, unit: r.unit, scale: 1 })),
);

/** The memory figures in BALLOON_LAYOUT order (unknown = -1), written into `into` (reused). */
export function memoryValues(m: MemoryStats, into: number[] = []): number[] {
  for (let i = 0; i < MEMORY_STATS.length; i++) into[i] = m[MEMORY_STATS[i]!.field] ?? -1;
  return into;
}

const FIXED = new Map([BLOCK_LAYOUT, NET_LAYOUT, STATE_LAYOUT, CPU_LAYOUT, VCPU_TIME_LAYOUT, BALLOON_LAYOUT].map((l) => [l.id, l]));

/** The fixed layout with this id (a block's `layout`), or undefined for a stats layout. */
export function fixedLayout(id: string): Layout | undefined {
  return FIXED.get(id);
}
