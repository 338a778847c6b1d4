/**
 * The inverse of the agent's stats encoding (agent/src/sample/stats.ts): a StatsResult
 * back to named stats, for tests that check the encoding round-trips on real replies.
 * The processor does not decode this way: it folds values by slot through layouts
 * built from the snapshot (processor/src/core/stats/statsLayout.ts).
 */
import { findStatList, indexSnapshot, type StatList, type StatsIndex } from '#agent/sample/statsSchema.js';
import type { StatDescriptor, StatsResult, StatsSchemaSnapshot } from '#schemas/types.js';

/** A decoded stat. `descriptor` is null for stats that travelled in `extra`. */
export type DecodedStat =
  | { name: string; kind: 'scalar'; value: number; descriptor: StatDescriptor | null }
  | { name: string; kind: 'boolean'; value: boolean; descriptor: StatDescriptor | null }
  | { name: string; kind: 'histogram'; buckets: number[]; descriptor: StatDescriptor | null };

function decodeSlots(list: StatList, values: readonly number[], out: DecodedStat[]): void {
  let p = 0;
  for (let i = 0; i < list.stats.length && p < values.length; i++) {
    const descriptor = list.stats[i]!;
    const v = values[p++]!;
    if (v < 0) continue;
    if (list.histogram[i]) {
      out.push({ name: descriptor.name, kind: 'histogram', buckets: values.slice(p, p + v), descriptor });
      p += v;
    } else if (list.boolean[i]) out.push({ name: descriptor.name, kind: 'boolean', value: v !== 0, descriptor });
    else out.push({ name: descriptor.name, kind: 'scalar', value: v, descriptor });
  }
}

/**
 * Inverse of the encoding: the stats present in a StatsResult, in snapshot order,
 * then the `extra` ones (one value → scalar, else histogram). The caller checks that
 * the snapshot's hash is the StatsValues' schemaHash. Pass the StatsIndex when
 * decoding many results of the same snapshot.
 */
export function decodeStats(snapshot: StatsSchemaSnapshot | StatsIndex, result: StatsResult): DecodedStat[] {
  const index = 'lists' in snapshot ? snapshot : indexSnapshot(snapshot);
  const out: DecodedStat[] = [];
  const list = findStatList(index, result.provider, result.target);
  if (list) decodeSlots(list, result.values, out);
  for (const e of result.extra) {
    if (e.values.length === 1) out.push({ name: e.name, kind: 'scalar', value: e.values[0]!, descriptor: null });
    else out.push({ name: e.name, kind: 'histogram', buckets: [...e.values], descriptor: null });
  }
  return out;
}
