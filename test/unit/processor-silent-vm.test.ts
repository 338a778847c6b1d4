/**
 * A VM that goes silent gets its last windows written on time. Two VMs of one
 * partition from the fixtures: the kvm capture, shifted to 01:46:24–01:46:44 and
 * silent after, and the thin-LV capture (01:46:20–01:47:02), whose records move the
 * partition's watermark (clock − allowed lateness) past 01:47:00. Before, the kvm VM's
 * 01:46 window stayed open in the core until eviction or flush, and its rows came after
 * the buffer had written the window: late, left out.
 */
import { describe, expect, it } from 'vitest';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { decodeRaw, encodeRaw } from '#schemas/codecs/raw.js';
import type { RawRecord } from '#schemas/types.js';
import { createCore, type ProcessorCore } from '#processor/core/step.js';
import { fixturePath } from '../support/fixtures.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import type { ClosedWindow } from '#processor/partition/rollupBuffer.js';
import { flushPartition, initialPartitionState, processBatch, type InputMessage, type PartitionState } from '#processor/partition/partitionStep.js';

const thin = transcriptRecords(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records;
const kvm = transcriptRecords(fixturePath('qmp', 'kvm-vcpu-stats.jsonl')).records;
const shift = thin[0]!.t - kvm[0]!.t + 3_500;
const records: RawRecord[] = [...thin, ...kvm.map((r) => ({ ...r, t: r.t + shift }))].sort((x, y) => x.t - y.t);
const messages: InputMessage[] = records.map((r, i) => ({ offset: i, timestamp: r.t, key: null, value: encodeRaw(r) }));
const MINUTE = Date.UTC(2026, 10, 22, 1, 46);

function envOf(core: ProcessorCore) {
  return { core, decode: decodeRaw, allowedLatenessMs: 1_000 };
}

/** The partition step over all messages in batches of `every`, the state through JSON between batches. */
function run(core: ProcessorCore, every = messages.length): { state: PartitionState; released: ClosedWindow[]; flushed: ClosedWindow[] } {
  let state = initialPartitionState('raw', 0);
  const released: ClosedWindow[] = [];
  for (let i = 0; i < messages.length; i += every) {
    state = JSON.parse(JSON.stringify(state)) as PartitionState;
    released.push(...processBatch(state, messages.slice(i, i + every), envOf(core)).outputs.windows);
  }
  return { state, released, flushed: flushPartition(state, envOf(core)) };
}

const vmsOf = (w: ClosedWindow | undefined) => [...new Set(w?.rows.map((r) => r.vm))].sort();

describe("a silent VM's last window", () => {
  const core = createCore(defaultProcessorConfig());
  const { state, released, flushed } = run(core);
  const minute = released.find((w) => w.resolutionMs === 60_000 && w.windowStart === MINUTE);

  it("is written with the other VM's rows once the watermark passes its end, and nothing is late", () => {
    expect(kvm.at(-1)!.t + shift).toBeLessThan(MINUTE + 60_000); // silent before the window ends
    expect(vmsOf(minute)).toEqual(['cap-kvm', 'cap-thin']);
    expect(minute!.rows.filter((r) => r.vm === 'cap-kvm').length).toBeGreaterThan(100);
    expect(state.rollups.late).toBe(0);
    expect(flushed.map((w) => [w.resolutionMs, w.windowStart])).toEqual([
      [86_400_000, Date.UTC(2026, 10, 22)],
      [3_600_000, Date.UTC(2026, 10, 22, 1)],
      [60_000, MINUTE + 60_000],
    ]);
  });

  it('holds the rows a flush would have emitted for it', () => {
    const c = createCore(defaultProcessorConfig());
    const s = c.step(initialPartitionState('raw', 0).core, records).state;
    const atFlush = c.flush(s).rollups.filter((r) => r.vm === 'cap-kvm' && r.resolutionMs === 60_000);
    expect(minute!.rows.filter((r) => r.vm === 'cap-kvm')).toEqual(expect.arrayContaining(atFlush));
    expect(minute!.rows.filter((r) => r.vm === 'cap-kvm')).toHaveLength(atFlush.length);
  });

  it('was late before: a core that closes windows only on their own samples leaves them out', () => {
    const old: ProcessorCore = { ...core, step: (s, r) => core.step(s, r) };
    const before = run(old);
    const w = before.released.find((x) => x.resolutionMs === 60_000 && x.windowStart === MINUTE);
    expect(vmsOf(w)).toEqual(['cap-thin']);
    expect(before.state.rollups.late).toBeGreaterThan(100);
  });

  it.each([1, 7, 25])('batches of %i records through JSON checkpoints write the same objects', (every) => {
    const split = run(createCore(defaultProcessorConfig()), every);
    expect(split.released).toEqual(released);
    expect(split.flushed).toEqual(flushed);
    expect(split.state.rollups.late).toBe(0);
  });
});
