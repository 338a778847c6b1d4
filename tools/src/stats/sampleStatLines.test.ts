/**
 * The stat lines of a Sample (what `qmpipe top` reads) equal those of the raw replies
 * (what `qmpipe stats` reads) for the same moment of a KVM transcript.
 */
import { describe, expect, it } from 'vitest';
import { fixturePath } from '#test/support/fixtures.js';
import type { StatsSchemaSnapshot, StatsValues } from '#schemas/types.js';
import { transcriptRecords } from '../transcript/decoded.js';
import { sampleStatLines } from './sampleStatLines.js';
import { cpuIndexes, statLines } from './statLines.js';
import { transcriptStats } from './statsSource.js';

const KVM = fixturePath('qmp', 'kvm-vcpu-stats.jsonl');

/** The last Sample with stats, its time and the snapshot it refers to, through the Avro codec. */
function lastStats(): { t: number; snapshot: StatsSchemaSnapshot; stats: StatsValues } {
  const { records } = transcriptRecords(KVM);
  const snapshots = new Map<string, StatsSchemaSnapshot>();
  let last: { t: number; stats: StatsValues } | undefined;
  for (const r of records) {
    if (r.body.kind === 'StatsSchemaSnapshot') snapshots.set(r.body.value.hash, r.body.value);
    if (r.body.kind === 'Sample' && r.body.value.stats) last = { t: r.t, stats: r.body.value.stats };
  }
  return { ...last!, snapshot: snapshots.get(last!.stats.schemaHash)! };
}

describe('sampleStatLines', () => {
  const { t, snapshot, stats } = lastStats();

  it('equals qmpipe stats of the replies up to the same moment: every stat, value, unit and vCPU index', () => {
    const raw = transcriptStats(KVM, t);
    const want = statLines(raw.schemas, raw.replies, cpuIndexes(raw.cpus));
    const got = sampleStatLines(snapshot, stats);
    expect(want).toHaveLength(110);
    expect(got).toEqual(want);
    expect(got!.find((l) => l.name === 'guest_mode')?.value).toBe(false); // a boolean again, not 0
  });

  it('a stat missing from the reply (-1) is left out; stats outside the snapshot are kept as unknown', () => {
    const vm = stats.results.find((r) => r.target === 'vm')!;
    const first = descriptorName(snapshot, 'vm');
    const values = [-1, ...vm.values.slice(1)];
    const extra = [{ name: 'new_stat', values: [7] }];
    const got = sampleStatLines(snapshot, { schemaHash: stats.schemaHash, results: [{ ...vm, values, extra }] })!;
    expect(got.some((l) => l.name === first)).toBe(false);
    expect(got.at(-1)).toMatchObject({ name: 'new_stat', type: 'unknown', unit: null, value: 7 });
  });

  it('values that do not fit the snapshot: null, not partly decoded', () => {
    const vm = stats.results.find((r) => r.target === 'vm')!;
    expect(sampleStatLines(snapshot, { schemaHash: stats.schemaHash, results: [{ ...vm, values: vm.values.slice(1) }] })).toBeNull();
    expect(sampleStatLines(snapshot, { schemaHash: stats.schemaHash, results: [{ ...vm, values: [...vm.values, 1] }] })).toBeNull();
  });
});

function descriptorName(s: StatsSchemaSnapshot, target: string): string {
  return s.schemas.find((x) => x.target === target && x.provider === 'kvm')!.stats[0]!.name;
}
