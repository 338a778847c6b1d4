import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { replayFile } from '#tools/transcript/replay.js';
import { fixturePath } from '#test/support/fixtures.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { encodeRaw, decodeRaw } from '#schemas/codecs/raw.js';
import { createCore } from '../core/step.js';
import { nameTable } from '#common/names.js';
import { unknownSeq, type VmState } from '../core/state/state.js';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from './partitionCheckpoint.js';
import { flushPartition, initialPartitionState, processBatch, type InputMessage, type PartitionState } from './partitionStep.js';

const messages: InputMessage[] = replayFile(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records.map((r, i) => ({
  offset: i,
  timestamp: r.t,
  key: Buffer.from(r.vm.uuid),
  value: encodeRaw(r),
}));
const env = () => ({ core: createCore({ ...defaultProcessorConfig(), rollup: { resolutionsMs: [10_000] } }), decode: decodeRaw, allowedLatenessMs: 1_000 });

describe('partition checkpoints', () => {
  it('a state restored at any cut continues exactly like the uninterrupted one', () => {
    const whole = processBatch(initialPartitionState('raw', 0), messages, env()).outputs;
    for (const cut of [1, 17, 40, messages.length - 3]) {
      const e = env();
      const first = processBatch(initialPartitionState('raw', 0), messages.slice(0, cut), e);
      const restored = decodeCheckpoint(encodeCheckpoint(first.state), { topic: 'raw', partition: 0 });
      expect(restored.nextOffset).toBe(cut);
      const rest = processBatch(restored, messages, env()).outputs; // redelivered from offset 0: skipped below nextOffset
      expect(rest.skipped).toBe(cut);
      expect([...first.outputs.alerts, ...rest.alerts]).toEqual(whole.alerts);
      expect([...first.outputs.windows, ...rest.windows]).toEqual(whole.windows);
    }
  });

  it.each([
    ['f16df83', 'thin-lv-offset32.qmpc', 'thin-lv-enospc-commit.jsonl', 32],
    ['f16df83', 'kvm-vcpu-offset11.qmpc', 'kvm-vcpu-stats.jsonl', 11],
    ['5ccb250', 'thin-lv-offset32.core-v2.qmpc', 'thin-lv-enospc-commit.jsonl', 32],
    ['5ccb250', 'kvm-vcpu-offset11.core-v2.qmpc', 'kvm-vcpu-stats.jsonl', 11],
    ['ad7857e', 'thin-lv-offset32.core-v3.qmpc', 'thin-lv-enospc-commit.jsonl', 32],
    ['ad7857e', 'kvm-vcpu-offset11.core-v3.qmpc', 'kvm-vcpu-stats.jsonl', 11],
  ])('a checkpoint of release %s (%s) restores and continues like one of this release', (_release, file, transcript, cut) => {
    // Those releases wrote their checkpoints under the then default resolutions (1 min, 1 h; 1 d came later:
    // a state restored under more resolutions is core/rollup/rollup.test.ts's "a resolution added to the config").
    const e = () => ({
      core: createCore({ ...defaultProcessorConfig(), rollup: { resolutionsMs: [60_000, 3_600_000] } }),
      decode: decodeRaw,
      allowedLatenessMs: 10_000,
    });
    const where = { topic: 'qmpipe.raw', partition: 0 };
    const old = decodeCheckpoint(readFileSync(fixturePath('checkpoints', file)), where);
    // The records that release saw: its agent derived instance ids differently (from the connect
    // time); a processor upgrade does not change what agents published.
    const instanceOf = (uuid: string, id: string) => old.core.vms[uuid]?.instanceId ?? id;
    const all = replayFile(fixturePath('qmp', transcript)).records.map((r, i) => ({
      offset: i,
      timestamp: r.t,
      sentAt: r.t, // an agent that stamps its send time (qmpipe-sent-at), sending at once
      key: null,
      value: encodeRaw({ ...r, vm: { ...r.vm, instanceId: instanceOf(r.vm.uuid, r.vm.instanceId) } }),
    }));
    expect(old.nextOffset).toBe(cut);
    const ours = processBatch(initialPartitionState('qmpipe.raw', 0), all.slice(0, cut), e()).state;
    // An older release measured no host clock against the broker: restored, none is measured yet.
    expect(old.core.skews).toEqual([]);
    expect(ours.core.skews.map((s) => [s.host, s.estimate, s.applied])).toEqual([['replay', 0, 0]]);
    // Nor did it keep any VM's record sequence: restored, nothing is known of one yet.
    const unmeasured = (p: PartitionState) => {
      const vms = nameTable<VmState>();
      for (const [uuid, vm] of Object.entries(p.core.vms)) vms[uuid] = { ...vm, seq: unknownSeq() };
      const counters = { ...p.core.counters, recordsMissing: 0, recordsDuplicate: 0, agentRuns: 0 };
      return { ...p, core: { ...p.core, skews: [], vms, counters } };
    };
    expect(Object.values(old.core.vms).map((vm) => vm.seq)).toEqual(Object.values(old.core.vms).map(() => unknownSeq()));
    // Nor had it run-state series (state.state, state.reason): restored, they start at the next sample.
    const restoredAsOld = (): PartitionState => {
      const p = decodeCheckpoint(encodeCheckpoint(unmeasured(ours)), where);
      for (const vm of Object.values(p.core.vms)) {
        if (!vm.blocks.state) continue;
        delete vm.blocks.state;
        vm.series -= 2;
        p.core.series -= 2;
      }
      // Nor did its pending rollup rows carry their host: restored, it is unknown (null).
      for (const rows of Object.values(p.rollups.pending)) for (const r of rows) r.host = null;
      return p;
    };
    expect(old).toEqual(restoredAsOld()); // the same state, field for field
    const fromOld = processBatch(old, all, e());
    const fromOurs = processBatch(restoredAsOld(), all, e());
    expect(fromOld.outputs).toEqual(fromOurs.outputs);
    expect(fromOld.state.core.counters.recordsMissing).toBe(0); // the first record after the restore is no gap
    expect(encodeCheckpoint(fromOld.state)).toEqual(encodeCheckpoint(fromOurs.state));
    const closed = flushPartition(fromOld.state, e());
    expect(closed).toEqual(flushPartition(fromOurs.state, e()));
    expect(closed.flatMap((w) => w.rows).length).toBeGreaterThan(10); // rows of series restored from the old state
  });

  it('refuses foreign or corrupt checkpoints with a typed error', () => {
    const bytes = encodeCheckpoint(initialPartitionState('raw', 3));
    expect(() => decodeCheckpoint(bytes, { topic: 'raw', partition: 4 })).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(Buffer.from('garbage!!!'), { topic: 'raw', partition: 3 })).toThrow(/not a qmpipe checkpoint/);
  });

  it('sends poison records to dead letters and goes on', () => {
    const poisoned = [
      ...messages.slice(0, 5),
      { offset: 5, timestamp: 0, key: null, value: Buffer.from('this is not avro at all') },
      ...messages.slice(5).map((m) => ({ ...m, offset: m.offset + 1 })),
    ];
    const { outputs, state } = processBatch(initialPartitionState('raw', 0), poisoned, env());
    expect(outputs.deadLetters.map((d) => [d.offset, d.code])).toEqual([[5, 'AVRO_BAD_MARKER']]);
    expect(state.core.counters.samples).toBeGreaterThan(30);
    expect(outputs.alerts.length).toBeGreaterThan(0);
  });
});
