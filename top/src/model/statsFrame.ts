/**
 * The VM view's query-stats, pure: what `qmpipe stats` prints for the VM (every stat of
 * the latest replies, tools/src/stats), from the last Sample's values and the snapshot they
 * refer to. Sources that read records (--socket, --libvirt, --replay) have them; --kafka has
 * only the core's series (rates of the cumulative stats, gauges, histogram quantiles: the
 * VCPUS and QUANTILES sections), not the values, so the view says so instead.
 */
import { sampleStatLines } from '#tools/stats/sampleStatLines.js';
import type { QueryStatsFrame } from './frameTypes.js';
import type { VmTop } from './topState.js';

export const STATS_NOTES = {
  series: 'no Sample (the --kafka source has the core’s series only, not the values: see VCPUS and QUANTILES)',
  unavailable: 'none: the last Sample has no query-stats (QEMU < 7.1, or no stats provider, as kvm under TCG)',
  noSnapshot: 'waiting for the stats schema snapshot',
  mismatch: 'values do not fit their stats schema snapshot',
} as const;

export function queryStatsOf(v: VmTop): QueryStatsFrame {
  if (v.sampleT === null) return { lines: null, note: STATS_NOTES.series };
  if (v.stats === null) return { lines: null, note: STATS_NOTES.unavailable };
  const snapshot = v.snapshots.get(v.stats.schemaHash);
  if (snapshot === undefined) return { lines: null, note: STATS_NOTES.noSnapshot };
  const lines = sampleStatLines(snapshot, v.stats);
  return lines === null ? { lines: null, note: STATS_NOTES.mismatch } : { lines, note: null };
}
