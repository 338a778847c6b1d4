/** State stays bounded: a TTL evicts VMs that went away, a cardinality cap counts what it refuses. */
import { describe, expect, it } from 'vitest';
import { ProcessorConfig } from '#schemas/config/processor.js';
import type { RawRecord } from '#schemas/types.js';
import { initialState } from '../state/state.js';
import { createCore } from '../step.js';
import { VM, diskAt, sampleRec, tap } from '#test/support/records.js';

const MiB = 1024 * 1024;

describe('cardinality cap', () => {
  it('creates series up to the cap and counts the rest as overflow', () => {
    const core = createCore(ProcessorConfig.parse({ state: { maxSeries: 20 } }), { emitRates: true });
    const taps = ['a', 'b', 'c', 'd'].map((n) => tap(100, n)); // 8 series each
    const state = initialState();
    const out = core.step(state, [sampleRec(1000, { blockDevices: [], net: taps }), sampleRec(2000, { blockDevices: [], net: taps })]).outputs;
    expect(state.series).toBe(2 + 16); // state.state and state.reason, then two taps
    expect(state.vms[VM.uuid]!.series).toBe(2 + 16);
    expect(state.counters.seriesOverflow).toBe(2 * 16);
    expect(new Set(out.rates.map((r) => r.series.split('.').slice(0, 2).join('.')))).toEqual(new Set(['state.state', 'state.reason', 'net.a', 'net.b']));
  });
});

describe('TTL eviction', () => {
  it('evicts a VM with no record for the TTL: flushes its windows, resolves its alerts, releases its series', () => {
    const core = createCore(ProcessorConfig.parse({ state: { ttlSeconds: 10, sweepIntervalMs: 1000 }, rollup: { resolutionsMs: [60_000] } }));
    const other = { ...VM, uuid: 'u-2', name: 'vm2' };
    const recs: RawRecord[] = [sampleRec(1000, { blockDevices: [diskAt(90 * MiB)] }), sampleRec(2000, { blockDevices: [diskAt(91 * MiB)] })];
    for (let s = 3; s <= 14; s++) recs.push(sampleRec(s * 1000, { blockDevices: [] }, other));
    const state = initialState();
    const out = core.step(state, recs).outputs;
    expect(Object.keys(state.vms)).toEqual(['u-2']);
    expect(state.counters.evictedVms).toBe(1);
    expect(state.series).toBe(state.vms['u-2']!.series);
    const evicted = out.alerts.filter((a) => a.labels.vm === 'vm1' && a.state === 'resolved');
    expect(evicted.map((a) => a.type).sort()).toEqual(['stale', 'time-to-full', 'watermark']);
    expect(evicted.every((a) => a.t === 13_000 && a.message.includes('evicted'))).toBe(true);
    expect(out.rollups.filter((r) => r.vm === 'vm1').map((r) => r.series)).toContain('block.vda.wr.bytes');
  });
});
