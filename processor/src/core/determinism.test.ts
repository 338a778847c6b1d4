/**
 * A restored state continues exactly like the original: runs split at record
 * boundaries, serialized mid-stream (JSON and binary checkpoints) and resumed with a
 * fresh context, emit exactly what one long run emits.
 */
import { describe, expect, it } from 'vitest';
import { ProcessorConfig } from '#schemas/config/processor.js';
import type { RawRecord } from '#schemas/types.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { restoreCheckpoint, serializeCheckpoint } from './state/stateCodec.js';
import type { Rollup } from '#schemas/outputs.js';
import { emptyOutputs, type StepOutputs } from './outputs.js';
import { initialState, type CoreState } from './state/state.js';
import { createCore, type StepOptions } from './step.js';
import { fixturePath } from '#test/support/fixtures.js';

/** Both fixtures as two VMs of one partition, interleaved by time (the kvm one shifted onto the thin-lv one). */
function fleet(): RawRecord[] {
  const thin = transcriptRecords(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records;
  const kvm = transcriptRecords(fixturePath('qmp', 'kvm-vcpu-stats.jsonl')).records;
  const shift = thin[0]!.t - kvm[0]!.t + 3_500;
  const moved = kvm.map((r) => ({ ...r, t: r.t + shift, vm: { ...r.vm, uuid: `${r.vm.uuid}-kvm` } }));
  return [...thin, ...moved].sort((a, b) => a.t - b.t);
}

const config = ProcessorConfig.parse({ rollup: { resolutionsMs: [10_000, 60_000] }, state: { ttlSeconds: 15 } });

function append(into: StepOutputs, from: StepOutputs): void {
  into.rates.push(...from.rates);
  into.alerts.push(...from.alerts);
  into.rollups.push(...from.rollups);
  into.lateRollups += from.lateRollups;
}

function oneRun(records: RawRecord[], opts: StepOptions = {}): { out: StepOutputs; state: CoreState } {
  const core = createCore(config, { emitRates: true });
  const state = initialState();
  const out = core.step(state, records, opts).outputs;
  append(out, core.flush(state));
  return { out, state };
}

function splitRun(records: RawRecord[], every: number, via: 'json' | 'binary', opts: StepOptions = {}): { out: StepOutputs; state: CoreState } {
  const out = emptyOutputs();
  let state = initialState();
  for (let i = 0; i < records.length; i += every) {
    const core = createCore(config, { emitRates: true }); // a fresh instance takes over the partition
    state = via === 'json' ? (JSON.parse(JSON.stringify(state)) as CoreState) : restoreCheckpoint(serializeCheckpoint(state));
    append(out, core.step(state, records.slice(i, i + every), opts).outputs);
  }
  append(out, createCore(config, { emitRates: true }).flush(state));
  return { out, state };
}

describe('checkpoint and restore', () => {
  const records = fleet();
  const whole = oneRun(records);

  it('the fleet run emits rates, alerts and rollups (and evicts the VMs that went away)', () => {
    expect(whole.out.rates.length).toBeGreaterThan(3_000);
    expect(whole.state.counters.evictedVms).toBe(1); // the kvm VM, 15 s after its last record
    expect(whole.out.alerts.length).toBeGreaterThan(10);
    expect(whole.out.rollups.length).toBeGreaterThan(100);
  });

  it.each([
    [1, 'binary'],
    [7, 'json'],
    [13, 'binary'],
    [50, 'json'],
  ] as const)('split every %i records through %s checkpoints equals one long run', (every, via) => {
    const split = splitRun(records, every, via);
    expect(split.out.alerts).toEqual(whole.out.alerts);
    expect(split.out.rollups).toEqual(whole.out.rollups);
    expect(split.out.rates).toEqual(whole.out.rates);
    expect(split.state).toEqual(whole.state);
  });

  describe('closing windows by the watermark (allowed lateness 2 s)', () => {
    const opts = { allowedLatenessMs: 2_000 };
    const closing = oneRun(records, opts);
    const key = (r: Rollup) => JSON.stringify(r);

    it.each([
      [1, 'binary'],
      [13, 'json'],
    ] as const)('split every %i records through %s checkpoints equals one long run', (every, via) => {
      const split = splitRun(records, every, via, opts);
      expect(split.out).toEqual(closing.out);
      expect(split.state).toEqual(closing.state);
    });

    it("emits the rows of the plain run (records in order: none late), the silent VM's earlier", () => {
      expect(closing.out.lateRollups).toBe(0);
      expect(closing.out.rollups.map(key).sort()).toEqual(whole.out.rollups.map(key).sort());
      expect(closing.out.rollups.map(key)).not.toEqual(whole.out.rollups.map(key));
      expect(closing.out.alerts).toEqual(whole.out.alerts);
      expect(closing.out.rates).toEqual(whole.out.rates);
    });
  });

  it('the run-wise fast fold (no rates) and the generic fold (emitting rates) leave the same state and alerts', () => {
    const quiet = createCore(config);
    const state = initialState();
    const out = quiet.step(state, records).outputs;
    append(out, quiet.flush(state));
    expect(state).toEqual(whole.state);
    expect(out.alerts).toEqual(whole.out.alerts);
    expect(out.rollups).toEqual(whole.out.rollups);
  });

  it('binary checkpoints restore the state exactly and are small', () => {
    const core = createCore(config);
    const state = initialState();
    core.step(state, records.slice(0, Math.floor(records.length / 2)));
    const bytes = serializeCheckpoint(state);
    expect(restoreCheckpoint(bytes)).toEqual(JSON.parse(JSON.stringify(state)));
    expect(bytes.length).toBeLessThan(JSON.stringify(state).length / 4);
  });

  it('rejects bytes that are not a checkpoint', () => {
    expect(() => restoreCheckpoint(Buffer.from('nope'))).toThrow(/checkpoint/);
  });
});
