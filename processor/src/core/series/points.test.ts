/** CoreOptions.emitPoints: counters as their raw cumulative value, chain gauges with their node, resets flagged. */
import { describe, expect, it } from 'vitest';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import type { RawRecord } from '#schemas/types.js';
import { fixturePath } from '#test/support/fixtures.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { initialState } from '../state/state.js';
import { createCore } from '../step.js';

const { records } = transcriptRecords(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl'));

function run(recs: readonly RawRecord[], emitPoints: boolean) {
  const core = createCore(defaultProcessorConfig(), { emitRates: true, emitPoints });
  return core.step(initialState(), recs).outputs;
}

describe('emitPoints', () => {
  const out = run(records, true);

  it('changes no rate, alert or rollup, and is off by default', () => {
    const plain = run(records, false);
    expect(plain.points).toEqual([]);
    expect(out.rates).toEqual(plain.rates);
    expect(out.alerts).toEqual(plain.alerts);
    expect(out.rollups).toEqual(plain.rollups);
  });

  it("gives each counter QEMU's own cumulative value at each sample, in base units", () => {
    const samples = records.filter((r) => r.body.kind === 'Sample');
    const wr = out.points.filter((p) => p.series === 'block.vda.wr.bytes');
    expect(wr).toHaveLength(samples.length);
    for (const [i, p] of wr.entries()) {
      const s = samples[i]!;
      expect(p).toMatchObject({ t: s.t, type: 'counter', unit: 'bytes', node: null, reset: false, host: 'replay' });
      expect(p.value).toBe((s.body.value as { blockDevices: Array<{ counters: { wrBytes: number } }> }).blockDevices[0]!.counters.wrBytes);
    }
    const times = out.points.find((p) => p.series === 'block.vda.wr.times' && p.value > 0)!;
    expect(times.unit).toBe('seconds');
  });

  it('the rate of an interval is the difference of its points over Δt', () => {
    const pts = out.points.filter((p) => p.series === 'block.vda.wr.bytes');
    const rates = out.rates.filter((r) => r.series === 'block.vda.wr.bytes');
    expect(rates.length).toBeGreaterThan(20);
    for (const r of rates) {
      const i = pts.findIndex((p) => p.t === r.t);
      expect(r.value).toBeCloseTo(((pts[i]!.value - pts[i - 1]!.value) * 1000) / (pts[i]!.t - pts[i - 1]!.t), 6);
    }
  });

  it('labels chain gauges with the node at their position (the snapshot moves lv0-format to backingIndex 1)', () => {
    const nodes = new Set(out.points.filter((p) => p.series.startsWith('block.vda.') && p.node !== null).map((p) => `${p.series.split('.')[2]} ${p.node}`));
    expect([...nodes].sort()).toEqual(['0 lv0-format', '0 top-format', '1 lv0-format']);
  });

  it('flags a reset: a new QEMU instance, even where the new count is not lower', () => {
    const at = records.findIndex((r, i) => i > 40 && r.body.kind === 'Sample');
    const restarted = records.map((r, i) => (i >= at ? { ...r, vm: { ...r.vm, instanceId: 'second' } } : r));
    const pts = run(restarted, true).points.filter((p) => p.series === 'block.vda.wr.bytes');
    const resets = pts.filter((p) => p.reset);
    expect(resets).toHaveLength(1);
    expect(resets[0]!.t).toBe(records[at]!.t);
  });
});
