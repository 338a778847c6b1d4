/**
 * The per-disk block counters, one row each: the single place a counter is named.
 * Everything else derives from this table:
 *
 * - `BlockCounters` (the Sample's `counters`, types.ts) has one field per row;
 *   schemas/avro/raw.avsc's `BlockCounters` record must agree (blockCounters.test.ts);
 * - the agent's QMP mapping (agent/src/sample/counters.ts) reads `qmp` from
 *   query-blockstats' device-mode `stats`;
 * - the libvirt stats mode (agent/src/libvirt/statsSample.ts) reads `block.N.<libvirt>`
 *   of virConnectGetAllDomainStats, for the rows libvirt has;
 * - `qmpipe domstats` (tools/src/domstats/) prints the same rows under the same names,
 *   in table order, as `virsh domstats --block` prints libvirt's typed parameters;
 * - the processor's block layout (processor/src/core/series/fixedLayouts.ts) has one
 *   slot per row, in table order, named `block.<dev>.<series>`.
 *
 * The order is the processor's slot order and domstats' print order (rates are emitted
 * in it): add a row at the end. The Avro record's field order is its own (the wire). A
 * new row is `nullable: true` (in raw.avsc `["null", "long"]`, default null): a record of
 * an older agent, or a QEMU without the field, then carries it as absent, never 0.
 */

/** One per-disk counter. */
export interface BlockCounterSpec {
  /** Field of `BlockCounters` in the Sample and in raw.avsc. */
  readonly field: string;
  /** Field of query-blockstats' `stats` (qapi BlockDeviceStats). */
  readonly qmp: string;
  /**
   * libvirt's name under `block.N.` in virConnectGetAllDomainStats and `virsh domstats`
   * (also `qmpipe domstats`' output name); null when libvirt does not report it.
   */
  readonly libvirt: string | null;
  /** The processor's series suffix: `block.<dev>.<series>`. */
  readonly series: string;
  /** counter: cumulative, the processor emits its rate; gauge: emitted as read. */
  readonly kind: 'counter' | 'gauge';
  /** Raw unit of the value (the processor scales ns to seconds). */
  readonly unit: 'count' | 'bytes' | 'ns';
  /** Absent from the reply until there is a value (null; Avro ["null","long"]); otherwise absent = 0. */
  readonly nullable: boolean;
}

export const BLOCK_COUNTERS = [
  { field: 'rdOps', qmp: 'rd_operations', libvirt: 'rd.reqs', series: 'rd.reqs', kind: 'counter', unit: 'count', nullable: false },
  { field: 'rdBytes', qmp: 'rd_bytes', libvirt: 'rd.bytes', series: 'rd.bytes', kind: 'counter', unit: 'bytes', nullable: false },
  { field: 'rdTimeNs', qmp: 'rd_total_time_ns', libvirt: 'rd.times', series: 'rd.times', kind: 'counter', unit: 'ns', nullable: false },
  { field: 'wrOps', qmp: 'wr_operations', libvirt: 'wr.reqs', series: 'wr.reqs', kind: 'counter', unit: 'count', nullable: false },
  { field: 'wrBytes', qmp: 'wr_bytes', libvirt: 'wr.bytes', series: 'wr.bytes', kind: 'counter', unit: 'bytes', nullable: false },
  { field: 'wrTimeNs', qmp: 'wr_total_time_ns', libvirt: 'wr.times', series: 'wr.times', kind: 'counter', unit: 'ns', nullable: false },
  { field: 'flushOps', qmp: 'flush_operations', libvirt: 'fl.reqs', series: 'fl.reqs', kind: 'counter', unit: 'count', nullable: false },
  { field: 'flushTimeNs', qmp: 'flush_total_time_ns', libvirt: 'fl.times', series: 'fl.times', kind: 'counter', unit: 'ns', nullable: false },
  { field: 'unmapOps', qmp: 'unmap_operations', libvirt: null, series: 'unmap.reqs', kind: 'counter', unit: 'count', nullable: false },
  { field: 'unmapBytes', qmp: 'unmap_bytes', libvirt: null, series: 'unmap.bytes', kind: 'counter', unit: 'bytes', nullable: false },
  { field: 'unmapTimeNs', qmp: 'unmap_total_time_ns', libvirt: null, series: 'unmap.times', kind: 'counter', unit: 'ns', nullable: false },
  { field: 'rdMerged', qmp: 'rd_merged', libvirt: null, series: 'rd.merged', kind: 'counter', unit: 'count', nullable: false },
  { field: 'wrMerged', qmp: 'wr_merged', libvirt: null, series: 'wr.merged', kind: 'counter', unit: 'count', nullable: false },
  { field: 'unmapMerged', qmp: 'unmap_merged', libvirt: null, series: 'unmap.merged', kind: 'counter', unit: 'count', nullable: false },
  { field: 'failedRdOps', qmp: 'failed_rd_operations', libvirt: null, series: 'rd.failed', kind: 'counter', unit: 'count', nullable: false },
  { field: 'failedWrOps', qmp: 'failed_wr_operations', libvirt: null, series: 'wr.failed', kind: 'counter', unit: 'count', nullable: false },
  { field: 'failedFlushOps', qmp: 'failed_flush_operations', libvirt: null, series: 'fl.failed', kind: 'counter', unit: 'count', nullable: false },
  { field: 'failedUnmapOps', qmp: 'failed_unmap_operations', libvirt: null, series: 'unmap.failed', kind: 'counter', unit: 'count', nullable: false },
  { field: 'invalidRdOps', qmp: 'invalid_rd_operations', libvirt: null, series: 'rd.invalid', kind: 'counter', unit: 'count', nullable: false },
  { field: 'invalidWrOps', qmp: 'invalid_wr_operations', libvirt: null, series: 'wr.invalid', kind: 'counter', unit: 'count', nullable: false },
  { field: 'invalidFlushOps', qmp: 'invalid_flush_operations', libvirt: null, series: 'fl.invalid', kind: 'counter', unit: 'count', nullable: false },
  { field: 'invalidUnmapOps', qmp: 'invalid_unmap_operations', libvirt: null, series: 'unmap.invalid', kind: 'counter', unit: 'count', nullable: false },
  // Absent until the device's first I/O; time since the last one, so a gauge.
  { field: 'idleTimeNs', qmp: 'idle_time_ns', libvirt: null, series: 'idle', kind: 'gauge', unit: 'ns', nullable: true },
] as const satisfies readonly BlockCounterSpec[];

type Row = (typeof BLOCK_COUNTERS)[number];

export type BlockCounterField = Row['field'];

/** A block device's counters (query-blockstats device mode): one field per row of BLOCK_COUNTERS. */
export type BlockCounters = { [R in Row as R['field']]: R['nullable'] extends true ? number | null : number };

/** The rows libvirt reports (a `libvirt` name), in table order: what the stats mode reads and domstats prints. */
export const LIBVIRT_BLOCK_COUNTERS = BLOCK_COUNTERS.filter((r): r is Extract<Row, { libvirt: string }> => r.libvirt !== null);

/** Never handed out (spread per call: a spread of a frozen object is several times slower). */
const EMPTY = Object.fromEntries(BLOCK_COUNTERS.map((r) => [r.field, r.nullable ? null : 0])) as BlockCounters;

/** Counters before anything was read: 0, or null for the nullable ones. A new object each call. */
export function emptyBlockCounters(): BlockCounters {
  return { ...EMPTY };
}
