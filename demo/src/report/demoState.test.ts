import { describe, expect, it } from 'vitest';
import type { Rate } from '#schemas/outputs.js';
import {
  alertTypesSeen,
  applyRate,
  capPoints,
  currentChain,
  historyKey,
  initialDemoState,
  parseSeries,
  timeToFullSeconds,
  type ElementView,
} from './demoState.js';
import { runFixture } from '#test/support/fixtureRun.js';

const MiB = 1024 * 1024;
const run = runFixture();

function rate(t: number, series: string, value: number): Rate {
  return { kind: 'rate', t, vm: 'vm1', vmUuid: 'uuid-1', series, value, unit: 'bytes', host: 'h1' };
}

describe('parseSeries', () => {
  it.each([
    ['block.vda.0.allocation', { dev: 'vda', index: 0, field: 'allocation' }],
    ['block.vda.1.physical', { dev: 'vda', index: 1, field: 'physical' }],
    ['block.sdb.12.growth', { dev: 'sdb', index: 12, field: 'growth' }],
    ['block.vda.wr.bytes', { dev: 'vda', index: null, field: 'write' }],
    ['block.vda.rd.bytes', null],
    ['block.vda.0.threshold', null],
    ['vcpu.0.exits', null],
  ])('%s', (series, want) => {
    expect(parseSeries(series)).toEqual(want);
  });
});

describe('folding the core over thin-lv-enospc-commit.jsonl', () => {
  const s = run.state;
  const vda = s.vms['cap-thin']!.devices.vda!;

  it('keeps the latest values per chain element: after the snapshot [0] is the overlay, [1] the grown 160 MiB base', () => {
    const chain = currentChain(vda);
    expect(chain.map((e) => e.index)).toEqual([0, 1]);
    expect(chain[1]!.physical).toBe(160 * MiB);
    expect(chain[1]!.allocation).toBeGreaterThan(150 * MiB);
    const lastWrite = run.rates.filter((r) => r.series === 'block.vda.wr.bytes').at(-1)!;
    expect(vda.writeRate).toBe(lastWrite.value);
  });

  it('keeps a history per element: [0] starts at 96 MiB physical and ends at the overlay, one point per sample time', () => {
    const h0 = s.history[historyKey('cap-thin', 'vda', 0)]!;
    const allocTimes = run.rates.filter((r) => r.series === 'block.vda.0.allocation').map((r) => r.t);
    expect(h0.map((p) => p.t)).toEqual(allocTimes);
    expect(h0[0]!.physical).toBe(96 * MiB);
    expect(h0.some((p) => p.physical === 160 * MiB)).toBe(true);
    expect(s.history[historyKey('cap-thin', 'vda', 1)]!.length).toBe(run.rates.filter((r) => r.series === 'block.vda.1.allocation').length);
  });

  it('records every alert transition in order and keeps as firing exactly those whose last transition fired', () => {
    expect(s.transitions.map((m) => `${m.type}/${m.state}`)).toEqual(run.alerts.map((a) => `${a.type}/${a.state}`));
    const last = new Map(run.alerts.map((a) => [a.id, a.state]));
    expect(Object.keys(s.firing).sort()).toEqual(
      [...last]
        .filter(([, st]) => st === 'firing')
        .map(([id]) => id)
        .sort(),
    );
  });

  it('sees paused-enospc fire and resolve, and commit-growth on the base (vda[1])', () => {
    const seen = alertTypesSeen(s);
    expect([...seen.get('paused-enospc')!].sort()).toEqual(['firing', 'resolved']);
    const commit = s.transitions.find((m) => m.type === 'commit-growth' && m.state === 'firing')!;
    expect(commit.target).toBe('vda[1] lv0-format');
    expect(s.transitions.find((m) => m.type === 'block-job-error')!.target).toBe('vda job commit0');
  });

  it('spans the event times of the outputs', () => {
    expect(s.firstT).toBe(Math.min(run.rates[0]!.t, run.alerts[0]!.t));
    expect(s.lastT).toBe(Math.max(run.rates.at(-1)!.t, run.alerts.at(-1)!.t));
  });
});

describe('applyRate', () => {
  it('ignores a value older than the element it would update', () => {
    let s = applyRate(initialDemoState(), rate(2000, 'block.vda.0.allocation', 5));
    s = applyRate(s, rate(1000, 'block.vda.0.allocation', 3));
    expect(s.vms.vm1!.devices.vda!.chain[0]!.allocation).toBe(5);
    expect(s.history[historyKey('vm1', 'vda', 0)]).toEqual([{ t: 2000, allocation: 5, physical: null }]);
  });

  it('merges allocation and physical of one sample time into one point', () => {
    let s = applyRate(initialDemoState(), rate(1000, 'block.vda.0.allocation', 5));
    s = applyRate(s, rate(1000, 'block.vda.0.physical', 9));
    s = applyRate(s, rate(2000, 'block.vda.0.allocation', 6));
    expect(s.history[historyKey('vm1', 'vda', 0)]).toEqual([
      { t: 1000, allocation: 5, physical: 9 },
      { t: 2000, allocation: 6, physical: 9 },
    ]);
  });

  it('hides an element not updated within 2.5 s of its device (it left the chain)', () => {
    let s = applyRate(initialDemoState(), rate(1000, 'block.vda.1.allocation', 5));
    s = applyRate(s, rate(5000, 'block.vda.0.allocation', 6));
    expect(currentChain(s.vms.vm1!.devices.vda!).map((e) => e.index)).toEqual([0]);
  });
});

describe('capPoints', () => {
  it('thins the older half once past the cap, keeping the newest points', () => {
    const pts = Array.from({ length: 11 }, (_, i) => ({ t: i, allocation: i, physical: null }));
    expect(capPoints(pts, 10).map((p) => p.t)).toEqual([0, 2, 4, 5, 6, 7, 8, 9, 10]);
    expect(capPoints(pts, 11)).toBe(pts);
  });
});

describe('timeToFullSeconds', () => {
  const el = (free: number | null, growth: number | null): ElementView => ({ index: 0, t: 0, allocation: 0, physical: 0, capacity: 0, free, growth });
  it.each([
    [el(8 * MiB, 2 * MiB), 4],
    [el(0, 2 * MiB), 0],
    [el(-1, null), 0],
    [el(8 * MiB, 100), null],
    [el(8 * MiB, null), null],
    [el(null, MiB), null],
  ])('%o → %s', (e, want) => {
    expect(timeToFullSeconds(e)).toBe(want);
  });
});
