/**
 * A Sample's query-stats values + the VM's schema snapshot → the stat lines `qmpipe stats`
 * prints, pure: what `qmpipe top`'s VM view shows for a VM it reads records of (a socket,
 * libvirt, a transcript). The record carries the replies in snapshot order (raw.avsc
 * StatsResult.values): per stat, a scalar or a boolean (0/1) in one slot, a histogram in
 * 1+n slots (n, then the buckets), -1 for a stat missing from the reply (not printed, as
 * `qmpipe stats` prints only what the reply has). Stats the snapshot does not list come in
 * `extra`, printed with type `unknown` and no unit as statLines.ts does.
 *
 * A boolean is a stat whose unit is `boolean` (qapi/stats.json StatsUnit). The vCPU number
 * is the processor's (processor/src/core/stats/statsStep.ts: qom paths in natural order,
 * device[0] → 0, device[2] → 1, as query-cpus-fast's cpu-index), the N of the vcpu.N series.
 */
import { descriptorsOf } from '#processor/core/stats/statsLayout.js';
import type { StatDescriptor, StatsSchemaSnapshot, StatsValues } from '#schemas/types.js';
import type { StatLineView, StatValue } from './statLines.js';

function isHistogram(d: StatDescriptor): boolean {
  return d.type === 'log2-histogram' || d.type === 'linear-histogram';
}

/** qom path → vCPU number: natural order of the paths in these results. */
function vcpuNumbers(stats: StatsValues): Map<string, number> {
  const paths = [...new Set(stats.results.flatMap((r) => (r.target === 'vcpu' && r.qomPath !== null ? [r.qomPath] : [])))];
  paths.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return new Map(paths.map((p, i) => [p, i]));
}

/**
 * The lines of one Sample's stats, results in the record's order, stats in the snapshot's
 * order then the extra ones. Null when the values do not fit the snapshot (a corrupt or
 * mismatched record: shown as unreadable, never as partly decoded values).
 */
export function sampleStatLines(snapshot: StatsSchemaSnapshot, stats: StatsValues): StatLineView[] | null {
  const cpus = vcpuNumbers(stats);
  const out: StatLineView[] = [];
  for (const r of stats.results) {
    const instance = r.target === 'vcpu' ? (r.qomPath ?? 'vcpu') : r.target;
    const cpu = r.qomPath === null ? null : (cpus.get(r.qomPath) ?? null);
    const head = { target: r.target, provider: r.provider, instance, cpu };
    let off = 0;
    for (const d of descriptorsOf(snapshot, r.provider, r.target) ?? []) {
      const slot = r.values[off];
      if (slot === undefined) return null;
      let value: StatValue | undefined;
      if (isHistogram(d) && slot >= 0) {
        if (off + 1 + slot > r.values.length) return null;
        value = r.values.slice(off + 1, off + 1 + slot);
        off += 1 + slot;
      } else {
        off += 1;
        if (slot >= 0) value = d.unit === 'boolean' && !isHistogram(d) ? slot !== 0 : slot;
      }
      if (value === undefined) continue; // missing from the reply
      out.push({ ...head, name: d.name, type: d.type, unit: d.unit, base: d.base, exponent: d.exponent, value, bucketSize: d.bucketSize });
    }
    if (off !== r.values.length) return null;
    for (const x of r.extra) {
      const value = x.values.length === 1 ? x.values[0]! : x.values;
      out.push({ ...head, name: x.name, type: 'unknown', unit: null, base: 0, exponent: 0, value, bucketSize: null });
    }
  }
  return out;
}
