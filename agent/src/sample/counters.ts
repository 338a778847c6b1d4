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
 * The counters of the block counter table (#schemas/blockCounters.ts) map from their
 * `qmp` names; a missing one stays 0, or null for a nullable one (`idle_time_ns` is
 * absent until the first I/O). Every other numeric field (`wr_highest_offset`,
 * `zone_append_*`, anything a newer QEMU adds) goes to `extra` by its QMP name;
 * booleans, arrays and objects are ignored.
 */
import { BLOCK_COUNTERS, emptyBlockCounters, type BlockCounterField, type BlockCounters } from '#schemas/blockCounters.js';
import { long, type JsonObject } from './json.js';

/** QMP stats field → BlockCounters field (a Map: keys come from untrusted JSON). */
const BY_QMP: ReadonlyMap<string, BlockCounterField> = new Map(BLOCK_COUNTERS.map((r) => [r.qmp, r.field]));

/** Maps one `stats` object; `extra` keeps the unknown numeric fields. */
export function toBlockCounters(stats: JsonObject): { counters: BlockCounters; extra: Record<string, number> } {
  const counters = emptyBlockCounters();
  const extra: Record<string, number> = {};
  for (const key in stats) {
    if (!Object.hasOwn(stats, key)) continue;
    const value = long(stats[key]);
    if (value === undefined) continue;
    const field = BY_QMP.get(key);
    if (field) counters[field] = value;
    else if (key !== '__proto__') extra[key] = value;
  }
  return { counters, extra };
}
