import { describe, expect, it } from 'vitest';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { fixturePath } from '#test/support/fixtures.js';
import { sampleRec } from '#test/support/records.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { drillLines } from '../view/screen.js';
import { buildFrame } from './frame.js';
import { STATS_NOTES } from './statsFrame.js';
import { createRecordFold, foldRecord } from './recordFold.js';
import { applyAlert, applyRate, initialTopState } from './topState.js';

/** The thin-LV fixture folded two ways: with its records (socket, replay) and from the core's outputs alone (kafka). */
function both() {
  const fold = createRecordFold(defaultProcessorConfig());
  const outputsOnly = initialTopState();
  for (const rec of transcriptRecords(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records) {
    const { outputs } = fold.core.step(fold.coreState, [rec]);
    for (const r of outputs.rates) applyRate(outputsOnly, r);
    for (const a of outputs.alerts) applyAlert(outputsOnly, a);
  }
  const withRecords = createRecordFold(defaultProcessorConfig());
  for (const rec of transcriptRecords(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records) foldRecord(withRecords, rec);
  return { records: buildFrame(withRecords.top).vms[0]!, rates: buildFrame(outputsOnly).vms[0]! };
}

describe('a frame from rates and alerts only (the --kafka source)', () => {
  const { records, rates } = both();

  it('has the same chain values as one built from the samples, without node or file names', () => {
    const strip = (v: typeof records) =>
      v.disks.map((d) => ({ device: d.device, chain: d.chain.map((e) => [e.backingIndex, e.allocation, e.capacity, e.physical, e.free, e.growth]) }));
    expect(strip(rates)).toEqual(strip(records));
    expect(rates.disks[0]!.chain.map((e) => [e.node, e.filename])).toEqual([
      [null, null],
      [null, null],
    ]);
  });

  it('has the same rates, fullest element (but its node), firing alerts and host', () => {
    for (const k of ['writeBytesPerSecond', 'readBytesPerSecond', 'writeIops', 'writeLatencySeconds', 'host', 'vm', 'uuid'] as const)
      expect(rates[k]).toEqual(records[k]);
    expect(rates.fullest).toEqual({ ...records.fullest, node: null });
    expect(rates.firing).toEqual(records.firing);
    expect(rates.state).toBe('running'); // no Sample: its state.state series
  });

  it('shows the run state from the state.state/state.reason series: io-error while paused on ENOSPC', () => {
    const fold = createRecordFold(defaultProcessorConfig());
    const outputsOnly = initialTopState();
    let paused = false;
    for (const rec of transcriptRecords(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records) {
      const { outputs } = fold.core.step(fold.coreState, [rec]);
      for (const r of outputs.rates) applyRate(outputsOnly, r);
      if (outputs.rates.some((r) => r.series === 'state.state' && r.value === 3)) paused = true;
      if (paused) break;
    }
    expect(buildFrame(outputsOnly).vms[0]!.state).toBe('io-error'); // from the series alone (before: running)
  });
});

describe('names are data', () => {
  it('a VM whose uuid is __proto__ (top reads raw records unvalidated) is in the frame like any other', () => {
    const fold = createRecordFold(defaultProcessorConfig());
    const recs = transcriptRecords(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records;
    for (const rec of recs) foldRecord(fold, { ...rec, vm: { ...rec.vm, uuid: '__proto__' } });
    const vms = buildFrame(fold.top).vms;
    expect(vms.map((v) => [v.uuid, v.vm])).toEqual([['__proto__', 'cap-thin']]);
    expect(vms[0]!.disks.length).toBeGreaterThan(0);
  });
});

describe('the query-stats of the VM view', () => {
  it('from records: every stat of the last Sample; from rates only (--kafka): none, and why', () => {
    const fold = createRecordFold(defaultProcessorConfig());
    for (const rec of transcriptRecords(fixturePath('qmp', 'kvm-vcpu-stats.jsonl')).records) foldRecord(fold, rec);
    const q = buildFrame(fold.top).vms[0]!.queryStats;
    expect(q.note).toBeNull();
    expect(q.lines).toHaveLength(110);
    expect(q.lines!.find((l) => l.instance === '/machine/unattached/device[2]' && l.name === 'halt_wait_ns')).toMatchObject({
      cpu: 1,
      unit: 'seconds',
      value: 18777935881,
    });
    const { rates } = both();
    expect(rates.queryStats).toEqual({ lines: null, note: STATS_NOTES.series });
  });
});

describe('CPU and memory of a VM', () => {
  it("the VM view's CPU is the cpu.time rate (CPUs busy) and its memory balloon.current, balloon.rss; none without them", () => {
    const fold = createRecordFold(defaultProcessorConfig());
    const cpu = (timeUs: number) => ({ timeUs, userUs: timeUs, systemUs: 0, vcpus: [{ index: 0, timeUs }] });
    foldRecord(fold, sampleRec(1000, { cpu: cpu(1_000_000) }));
    expect(buildFrame(fold.top).vms[0]!.cpu).toBeNull(); // one reading: no rate yet, not 0
    foldRecord(fold, sampleRec(2000, { cpu: cpu(1_250_000) }));
    const v = buildFrame(fold.top).vms[0]!;
    expect(v.cpu).toBeCloseTo(0.25, 9);
    expect(v.vcpuCount).toBe(1);
    expect(drillLines(v, 120)[1]).toBe('CPU 25%  memory —  rss —');
  });
});
