/** CPU times through the core: rates of the counters (CPUs busy), rollup rows, checkpoint round trip; absent is not zero. */
import { describe, expect, it } from 'vitest';
import { ProcessorConfig } from '#schemas/config/processor.js';
import { emptyMemoryStats } from '#schemas/memoryStats.js';
import type { CpuTimes } from '#schemas/types.js';
import { sampleRec } from '#test/support/records.js';
import { initialState } from '../state/state.js';
import { restoreCheckpoint, serializeCheckpoint } from '../state/stateCodec.js';
import { createCore } from '../step.js';

const MiB = 1024 * 1024;
const cfg = ProcessorConfig.parse({ rollup: { resolutionsMs: [10_000] } });

const cpu = (timeUs: number, vcpu0Us: number): CpuTimes => ({ timeUs, userUs: timeUs - 100_000, systemUs: 100_000, vcpus: [{ index: 0, timeUs: vcpu0Us }] });

describe('CPU times in the core', () => {
  const recs = [
    sampleRec(1000, { blockDevices: [], cpu: cpu(1_000_000, 400_000) }),
    sampleRec(2000, { blockDevices: [], cpu: cpu(1_500_000, 650_000) }), // 0.5 CPU; vCPU 0: 0.25
    sampleRec(3000, { blockDevices: [] }), // not read this tick: no CPU series, nothing reset
    sampleRec(4000, { blockDevices: [], cpu: cpu(3_500_000, 1_650_000) }), // +2 s of CPU over 2 s: 1.0
  ];

  it('cpu.time, cpu.user, cpu.system and vcpu.N.time are counters: rates in seconds per second', () => {
    const out = createCore(cfg, { emitRates: true }).step(initialState(), recs).outputs;
    const at = (series: string) => out.rates.filter((r) => r.series === series).map((r) => [r.t, r.value, r.unit]);
    expect(at('cpu.time')).toEqual([
      [2000, 0.5, 'seconds/s'],
      [4000, 1, 'seconds/s'],
    ]);
    expect(at('cpu.system')).toEqual([
      [2000, 0, 'seconds/s'],
      [4000, 0, 'seconds/s'],
    ]);
    expect(at('cpu.user').map(([, v]) => v)).toEqual([0.5, 1]);
    expect(at('vcpu.0.time')).toEqual([
      [2000, 0.25, 'seconds/s'],
      [4000, 0.5, 'seconds/s'],
    ]);
  });

  it('rollup rows: the window increase in seconds of CPU', () => {
    const core = createCore(cfg);
    const state = initialState();
    const rows = [
      ...core.step(state, [...recs, sampleRec(11_000, { blockDevices: [], cpu: cpu(4_000_000, 1_700_000) })]).outputs.rollups,
      ...core.flush(state).rollups,
    ];
    const row = (series: string) => rows.find((r) => r.series === series && r.windowStart === 0);
    expect(row('cpu.time')).toMatchObject({ increase: 2.5, unit: 'seconds' });
    expect(row('vcpu.0.time')).toMatchObject({ increase: 1.25 });
  });

  it('the CPU blocks survive a checkpoint', () => {
    const core = createCore(cfg, { emitRates: true });
    const state = core.step(initialState(), recs.slice(0, 2)).state;
    const back = restoreCheckpoint(serializeCheckpoint(state));
    const out = core.step(back, recs.slice(3)).outputs;
    expect(out.rates.find((r) => r.series === 'cpu.time')?.value).toBe(1);
  });
});

describe('memory in the core', () => {
  const mem = (rssMiB: number, minorFaults: number | null) => ({
    ...emptyMemoryStats(),
    currentBytes: 160 * MiB,
    maximumBytes: 160 * MiB,
    rssBytes: rssMiB * MiB,
    minorFaults,
  });
  const recs = [
    sampleRec(1000, { blockDevices: [], memory: mem(100, 1000) }),
    sampleRec(2000, { blockDevices: [], memory: mem(101, 1500) }),
    sampleRec(3000, { blockDevices: [], memory: mem(102, null) }), // the guest stopped reporting: no fault rate, not 0
  ];

  it('balloon.current, .maximum, .rss are gauges in bytes; the guest’s faults a counter; unknown figures no series', () => {
    const out = createCore(cfg, { emitRates: true }).step(initialState(), recs).outputs;
    const at = (series: string) => out.rates.filter((r) => r.series === series).map((r) => [r.t, r.value, r.unit]);
    expect(at('balloon.current')).toEqual([
      [1000, 160 * MiB, 'bytes'],
      [2000, 160 * MiB, 'bytes'],
      [3000, 160 * MiB, 'bytes'],
    ]);
    expect(at('balloon.rss').map(([, v]) => v)).toEqual([100 * MiB, 101 * MiB, 102 * MiB]);
    expect(at('balloon.minor_fault')).toEqual([[2000, 500, 'count/s']]);
    expect(at('balloon.swap_in')).toEqual([]);
    expect(at('balloon.usable')).toEqual([]);
  });
});
