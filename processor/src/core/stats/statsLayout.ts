/**
 * Layouts of query-stats values, driven only by the schema snapshot (no per-stat
 * code): raw.avsc StatsResult.values holds, per stat of the snapshot's
 * (provider, target) list and in its order, one slot for a scalar or boolean (0/1),
 * 1+n slots for a histogram (n, then n buckets), and a single -1 for a stat missing
 * from the reply. Types map to series kinds:
 *   cumulative → counter (rate); instant, boolean → gauge; peak → gauge kept as a
 *   running max; log2-/linear-histogram → bucket deltas + p50/p90/p99; a type this
 *   processor does not know → gauge (new QEMU types still flow through).
 */
import type { StatDescriptor, StatsSchemaSnapshot } from '#schemas/types.js';
import { linearLower, log2Lower } from './histogram.js';
import { BUCKET, CUMULATIVE, GAUGE, PEAK, layoutOf, scaleOf, type Layout, type SlotGroup } from '../series/layout.js';

/** The descriptors for one (provider, target), or null when the snapshot has none. */
export function descriptorsOf(snapshot: StatsSchemaSnapshot, provider: string, target: string): StatDescriptor[] | null {
  for (const s of snapshot.schemas) if (s.provider === provider && s.target === target) return s.stats;
  return null;
}

function isHistogram(d: StatDescriptor): boolean {
  return d.type === 'log2-histogram' || d.type === 'linear-histogram';
}

function groupOf(d: StatDescriptor, offset: number, size: number): SlotGroup {
  const unit = d.unit ?? 'count';
  const scale = scaleOf(d.base, d.exponent);
  if (!isHistogram(d)) {
    return { name: d.name, type: d.type === 'cumulative' ? 'counter' : 'gauge', offset, size: 1, unit, scale, lower: null };
  }
  const lower = d.type === 'log2-histogram' ? log2Lower(size) : linearLower(size, d.bucketSize ?? 1);
  return { name: d.name, type: 'histogram', offset, size, unit, scale, lower };
}

function kindOf(g: SlotGroup, byName: Map<string, StatDescriptor>): number {
  if (g.type === 'histogram') return BUCKET;
  if (g.type === 'counter') return CUMULATIVE;
  return byName.get(g.name)?.type === 'peak' ? PEAK : GAUGE;
}

/**
 * Builds the layout of `values` for these descriptors; its id is keyPrefix plus the
 * value shape. Returns null when the values
 * do not fit the descriptors (a corrupt or mismatched record).
 */
export function buildStatsLayout(keyPrefix: string, descriptors: StatDescriptor[], values: readonly number[]): Layout | null {
  const groups: SlotGroup[] = [];
  const missing: number[] = [];
  let off = 0;
  for (const d of descriptors) {
    if (off >= values.length) return null;
    const head = values[off]!;
    if (isHistogram(d) && head >= 0) {
      if (off + 1 + head > values.length) return null;
      groups.push(groupOf(d, off + 1, head));
      off += 1 + head;
    } else if (head === -1 && isHistogram(d)) {
      missing.push(off);
      off += 1;
    } else {
      groups.push(groupOf(d, off, 1));
      off += 1;
    }
  }
  if (off !== values.length) return null;
  const byName = new Map(descriptors.map((d) => [d.name, d]));
  const layout = layoutOf(keyPrefix, values.length, groups, (g) => kindOf(g, byName));
  // A missing histogram is one -1 slot; pin it in the shape check so a later
  // reply that carries the histogram gets its own layout.
  for (const m of missing) layout.checks.push(m, -1);
  // The id names the shape, so the same values always get the same layout id.
  layout.id = `${keyPrefix}|${values.length}:${layout.checks.join(',')}`;
  return layout;
}
