/**
 * The VM's memory figures, one row each, named as `virsh domstats --balloon` names them
 * (`balloon.<libvirt>`): the single place a memory figure is named. From this table:
 *
 * - `MemoryStats` (the Sample's `memory`, types.ts) has one field per row, each nullable;
 *   schemas/avro/raw.avsc's `MemoryStats` record must agree (memoryStats.test.ts);
 * - the agent's QMP mapping (agent/src/sample/memory.ts) reads `qmp` from the balloon
 *   device's `guest-stats` (qom-get), where the guest's driver reports it;
 * - the libvirt stats mode (agent/src/libvirt/statsVm.ts) reads `balloon.<libvirt>`;
 * - `qmpipe domstats` prints `balloon.<libvirt>` in table order, in libvirt's units;
 * - the processor's balloon layout has one slot per row, `balloon.<libvirt>`.
 *
 * Units: the Sample carries bytes (QMP's unit); libvirt reports KiB (it divides QMP's
 * bytes by 1024, rounding down), so the stats mode multiplies by 1024 and domstats divides.
 * `last-update` is the epoch second of the guest's last report (0: never). Where the
 * others come from: `current` is query-balloon's `actual`, `maximum` the guest's RAM
 * (query-memory-size-summary base-memory + plugged-memory; libvirt: the domain's total
 * memory), `rss` the QEMU process's resident set (/proc/<pid>/stat rss × page size, the VmRSS of its status; libvirt: the same figure).
 * A VM without a balloon device has no `current` and no guest figures (null, never 0;
 * libvirt prints its configured memory as current then).
 */

/** One memory figure. */
export interface MemoryStatSpec {
  /** Field of `MemoryStats` in the Sample and in raw.avsc. */
  readonly field: string;
  /** libvirt's name under `balloon.` (virsh domstats), also the processor's series suffix. */
  readonly libvirt: string;
  /** Key of the balloon's guest-stats `stats` object (QEMU's virtio-balloon), or null when it comes from elsewhere. */
  readonly qmp: string | null;
  /** counter: cumulative, the processor emits its rate; gauge: as read. */
  readonly kind: 'counter' | 'gauge';
  /** Unit in the Sample; libvirt's is KiB for bytes. */
  readonly unit: 'bytes' | 'count' | 'seconds';
}

export const MEMORY_STATS = [
  { field: 'currentBytes', libvirt: 'current', qmp: null, kind: 'gauge', unit: 'bytes' },
  { field: 'maximumBytes', libvirt: 'maximum', qmp: null, kind: 'gauge', unit: 'bytes' },
  { field: 'swapInBytes', libvirt: 'swap_in', qmp: 'stat-swap-in', kind: 'counter', unit: 'bytes' },
  { field: 'swapOutBytes', libvirt: 'swap_out', qmp: 'stat-swap-out', kind: 'counter', unit: 'bytes' },
  { field: 'majorFaults', libvirt: 'major_fault', qmp: 'stat-major-faults', kind: 'counter', unit: 'count' },
  { field: 'minorFaults', libvirt: 'minor_fault', qmp: 'stat-minor-faults', kind: 'counter', unit: 'count' },
  { field: 'unusedBytes', libvirt: 'unused', qmp: 'stat-free-memory', kind: 'gauge', unit: 'bytes' },
  { field: 'availableBytes', libvirt: 'available', qmp: 'stat-total-memory', kind: 'gauge', unit: 'bytes' },
  { field: 'usableBytes', libvirt: 'usable', qmp: 'stat-available-memory', kind: 'gauge', unit: 'bytes' },
  { field: 'lastUpdate', libvirt: 'last-update', qmp: null, kind: 'gauge', unit: 'seconds' },
  { field: 'diskCachesBytes', libvirt: 'disk_caches', qmp: 'stat-disk-caches', kind: 'gauge', unit: 'bytes' },
  { field: 'hugetlbPgalloc', libvirt: 'hugetlb_pgalloc', qmp: 'stat-htlb-pgalloc', kind: 'counter', unit: 'count' },
  { field: 'hugetlbPgfail', libvirt: 'hugetlb_pgfail', qmp: 'stat-htlb-pgfail', kind: 'counter', unit: 'count' },
  { field: 'rssBytes', libvirt: 'rss', qmp: null, kind: 'gauge', unit: 'bytes' },
] as const satisfies readonly MemoryStatSpec[];

type Row = (typeof MEMORY_STATS)[number];

export type MemoryStatField = Row['field'];

/** The VM's memory figures: one nullable field per row of MEMORY_STATS. */
export type MemoryStats = { [R in Row as R['field']]: number | null };

/** Every figure unknown (a new object each time). */
export function emptyMemoryStats(): MemoryStats {
  const m = {} as MemoryStats;
  for (const r of MEMORY_STATS) m[r.field] = null;
  return m;
}

/** The rows the balloon's guest-stats carry (a `qmp` key). */
export const GUEST_MEMORY_STATS = MEMORY_STATS.filter((r): r is Extract<Row, { qmp: string }> => r.qmp !== null);
