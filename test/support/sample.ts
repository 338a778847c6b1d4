/** Test support: runs the sample builder over a sequence of ticks. */
import type { Sample, StatsSchemaSnapshot } from '#schemas/types.js';
import { buildSample, initialBuilderState } from '#agent/sample/buildSample.js';
import type { Tick } from '#agent/sample/tick.js';

export function buildAll(ticks: readonly Tick[]): { samples: Sample[]; snapshots: StatsSchemaSnapshot[] } {
  let state = initialBuilderState();
  const samples: Sample[] = [];
  const snapshots: StatsSchemaSnapshot[] = [];
  for (const tick of ticks) {
    const r = buildSample(state, tick);
    state = r.state;
    samples.push(r.sample);
    if (r.snapshot) snapshots.push(r.snapshot);
  }
  return { samples, snapshots };
}
