/**
 * The VM-level series end to end through the core and a sink: state.state/.reason (libvirt's
 * own numbers when the Sample carries them), cpu.* and balloon.* in rates, rollup rows and
 * remote write, mapped without a gap (nothing unmapped).
 */
import { describe, expect, it } from 'vitest';
import { emptyMemoryStats } from '#schemas/memoryStats.js';
import { ProcessorConfig } from '#schemas/config/processor.js';
import { sampleRec } from '#test/support/records.js';
import { toTimeSeries } from '#processor/sinks/remoteWrite/series.js';
import { initialState } from '#processor/core/state/state.js';
import { createCore } from '#processor/core/step.js';

const cfg = ProcessorConfig.parse({ rollup: { resolutionsMs: [10_000] } });
const cpu = (timeUs: number) => ({ timeUs, userUs: timeUs, systemUs: 0, vcpus: [{ index: 0, timeUs }] });
const memory = { ...emptyMemoryStats(), currentBytes: 160 << 20, maximumBytes: 160 << 20, rssBytes: 100 << 20, minorFaults: 10 };

/** A stats-mode domain paused by a migration: libvirt says state 3 reason 2; QMP's `paused` alone would read as reason 1 (user). */
const recs = [1000, 2000, 3000].map((t, i) =>
  sampleRec(t, { status: 'paused', running: false, blockDevices: [], libvirtState: { state: 3, reason: 2 }, cpu: cpu(1_000_000 * (i + 1)), memory }),
);

describe('VM-level series through the core', () => {
  const core = createCore(cfg, { emitRates: true, emitPoints: true });
  const state = initialState();
  const out = core.step(state, recs).outputs;
  const rollups = [...out.rollups, ...core.flush(state).rollups];

  it("state.state and state.reason are libvirt's own numbers when the Sample carries them", () => {
    expect(out.rates.filter((r) => r.series === 'state.reason').map((r) => r.value)).toEqual([2, 2, 2]);
    expect(out.rates.filter((r) => r.series === 'state.state').map((r) => r.value)).toEqual([3, 3, 3]);
    const qmpOnly = createCore(cfg, { emitRates: true }).step(initialState(), [sampleRec(1000, { status: 'paused', running: false, blockDevices: [] })]).outputs
      .rates;
    expect(qmpOnly.find((r) => r.series === 'state.reason')?.value).toBe(1); // without it: derived from QMP's status
  });

  it('every one has rollup rows', () => {
    const series = new Set(rollups.map((r) => r.series));
    for (const s of ['state.state', 'state.reason', 'cpu.time', 'cpu.user', 'vcpu.0.time', 'balloon.current', 'balloon.rss', 'balloon.minor_fault'])
      expect(series, s).toContain(s);
    expect(rollups.find((r) => r.series === 'state.reason')).toMatchObject({ type: 'gauge' });
  });

  it('every one has a remote-write name; nothing is unmapped', () => {
    const mapped = toTimeSeries(out, state);
    expect(mapped.unmapped).toBe(0);
    const names = new Set(mapped.series.map((s) => s.labels.find(([k]) => k === '__name__')![1]));
    for (const n of [
      'qmpipe_domain_state',
      'qmpipe_domain_state_reason',
      'qmpipe_cpu_seconds_total',
      'qmpipe_vcpu_time_seconds_total',
      'qmpipe_balloon_current_bytes',
      'qmpipe_balloon_rss_bytes',
      'qmpipe_balloon_minor_fault_total',
    ])
      expect(names, n).toContain(n);
  });
});
