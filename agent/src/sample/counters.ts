/**
 * `BlockDeviceStats` (query-blockstats device mode, `.stats`) → `BlockCounters`.
 *
 * Wire shape (qapi/block-core.json, QEMU 7.2 adds nothing beyond these):
 *   { rd_bytes, wr_bytes, unmap_bytes, rd_operations, wr_operations, flush_operations,
 *     unmap_operations, rd_total_time_ns, wr_total_time_ns, flush_total_time_ns,
 *     unmap_total_time_ns, rd_merged, wr_merged, unmap_merged, wr_highest_offset,
 *     failed_{rd,wr,flush,unmap}_operations, invalid_{rd,wr,flush,unmap}_operations,
 *     idle_time_ns?, account_invalid: bool, account_failed: bool, timed_stats: [...],
 *     {rd,wr,zap,flush}_latency_histogram?: {...}, zone_append_*? (8.1) }
 *
 * Known counters map to named fields (missing ones are 0, except `idle_time_ns`
 * which is absent until the first I/O → null). Every other numeric field
 * (`wr_highest_offset`, `zone_append_*`, anything a newer QEMU adds) goes to
 * `extra` by its QMP name; booleans, arrays and objects are ignored.
 */
import type { BlockCounters } from '#schemas/types.js';
import { long, type JsonObject } from './json.js';

type CounterField = Exclude<keyof BlockCounters, 'idleTimeNs'>;

/** QMP stats field → BlockCounters field (a Map: keys come from untrusted JSON). */
export const COUNTER_FIELDS: ReadonlyMap<string, CounterField> = new Map(
  Object.entries({
    rd_bytes: 'rdBytes',
    wr_bytes: 'wrBytes',
    rd_operations: 'rdOps',
    wr_operations: 'wrOps',
    flush_operations: 'flushOps',
    rd_total_time_ns: 'rdTimeNs',
    wr_total_time_ns: 'wrTimeNs',
    flush_total_time_ns: 'flushTimeNs',
    unmap_bytes: 'unmapBytes',
    unmap_operations: 'unmapOps',
    unmap_total_time_ns: 'unmapTimeNs',
    rd_merged: 'rdMerged',
    wr_merged: 'wrMerged',
    unmap_merged: 'unmapMerged',
    failed_rd_operations: 'failedRdOps',
    failed_wr_operations: 'failedWrOps',
    failed_flush_operations: 'failedFlushOps',
    failed_unmap_operations: 'failedUnmapOps',
    invalid_rd_operations: 'invalidRdOps',
    invalid_wr_operations: 'invalidWrOps',
    invalid_flush_operations: 'invalidFlushOps',
    invalid_unmap_operations: 'invalidUnmapOps',
  } satisfies Record<string, CounterField>),
);

export function zeroCounters(): BlockCounters {
  return {
    rdBytes: 0,
    wrBytes: 0,
    rdOps: 0,
    wrOps: 0,
    flushOps: 0,
    rdTimeNs: 0,
    wrTimeNs: 0,
    flushTimeNs: 0,
    unmapBytes: 0,
    unmapOps: 0,
    unmapTimeNs: 0,
    rdMerged: 0,
    wrMerged: 0,
    unmapMerged: 0,
    failedRdOps: 0,
    failedWrOps: 0,
    failedFlushOps: 0,
    failedUnmapOps: 0,
    invalidRdOps: 0,
    invalidWrOps: 0,
    invalidFlushOps: 0,
    invalidUnmapOps: 0,
    idleTimeNs: null,
  };
}

/** Maps one `stats` object; `extra` keeps the unknown numeric fields. */
export function toBlockCounters(stats: JsonObject): { counters: BlockCounters; extra: Record<string, number> } {
  const counters = zeroCounters();
  const extra: Record<string, number> = {};
  for (const key in stats) {
    if (!Object.hasOwn(stats, key)) continue;
    const value = long(stats[key]);
    if (value === undefined) continue;
    const field = COUNTER_FIELDS.get(key);
    if (field) counters[field] = value;
    else if (key === 'idle_time_ns') counters.idleTimeNs = value;
    else if (key !== '__proto__') extra[key] = value;
  }
  return { counters, extra };
}
