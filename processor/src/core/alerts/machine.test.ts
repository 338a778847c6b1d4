import { describe, expect, it } from 'vitest';
import type { Alert, AlertLabels } from '#schemas/outputs.js';
import { CRITICAL, NONE, WARNING, alertId, observe, type AlertTable, type Level } from './machine.js';
import { levelAbove, levelBelow } from './levels.js';
import { alertRouting } from './routing.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';

const routing = alertRouting(defaultProcessorConfig().alerts.routing);

const labels: AlertLabels = { host: 'h', vm: 'vm1', vmUuid: 'u', device: 'vda', backingIndex: 0, node: 'n', blockJob: '', image: '/dev/vg/img' };

function run(levels: Level[]): Alert[] {
  const table: AlertTable = {};
  const out: Alert[] = [];
  levels.forEach((level, i) => observe(table, 'k', 'watermark', labels, { level, value: i, threshold: 0.8, message: `m${i}` }, i * 1000, out, routing));
  return out;
}

describe('alert state machine', () => {
  it('fires once, stays firing without output, resolves with an end time', () => {
    const out = run([NONE, WARNING, WARNING, WARNING, NONE, NONE]);
    expect(out.map((a) => [a.state, a.severity, a.t, a.startsAt, a.endsAt])).toEqual([
      ['firing', 'warning', 1000, 1000, null],
      ['resolved', 'warning', 4000, 1000, 4000],
    ]);
  });
  it('re-emits firing on a severity change, with the same id and start', () => {
    const out = run([WARNING, CRITICAL, CRITICAL, WARNING, NONE]);
    expect(out.map((a) => [a.state, a.severity, a.startsAt])).toEqual([
      ['firing', 'warning', 0],
      ['firing', 'critical', 0],
      ['firing', 'warning', 0],
      ['resolved', 'warning', 0],
    ]);
    expect(new Set(out.map((a) => a.id)).size).toBe(1);
  });
  it('ids are stable hashes of the type and what the alert is about', () => {
    expect(alertId('watermark', labels)).toBe(alertId('watermark', { ...labels }));
    expect(alertId('watermark', labels)).not.toBe(alertId('time-to-full', labels));
    expect(alertId('watermark', labels)).not.toBe(alertId('watermark', { ...labels, image: '/dev/vg/other' }));
    expect(alertId('watermark', labels)).not.toBe(alertId('watermark', { ...labels, blockJob: 'commit0' }));
    expect(alertId('watermark', labels)).toMatch(/^[0-9a-f]{16}$/);
  });
  it('ids do not change when a snapshot moves the image down its chain (or a pivot renames its node)', () => {
    expect(alertId('watermark', { ...labels, backingIndex: 1 })).toBe(alertId('watermark', labels));
    expect(alertId('watermark', { ...labels, node: 'libvirt-2-format' })).toBe(alertId('watermark', labels));
  });
  it('a firing alert follows its image: the next transition says where it is now', () => {
    const table: AlertTable = {};
    const out: Alert[] = [];
    const obs = (level: Level) => ({ level, value: 1, threshold: 0.8, message: 'm' });
    observe(table, 'k', 'watermark', labels, obs(WARNING), 0, out, routing);
    observe(table, 'k', 'watermark', { ...labels, backingIndex: 1 }, obs(WARNING), 1000, out, routing);
    observe(table, 'k', 'watermark', { ...labels, backingIndex: 1 }, obs(NONE), 2000, out, routing);
    expect(out.map((a) => [a.state, a.labels.backingIndex, a.id])).toEqual([
      ['firing', 0, alertId('watermark', labels)],
      ['resolved', 1, alertId('watermark', labels)],
    ]);
  });
  it("every transition carries its type's runbook and the static labels", () => {
    const r = alertRouting({ runbookBase: 'https://docs.example/runbooks.md', runbooks: { stale: 'https://wiki/stale' }, staticLabels: { cluster: 'eu-1' } });
    const out: Alert[] = [];
    observe({}, 'k', 'watermark', labels, { level: WARNING, value: 1, threshold: 0.8, message: 'm' }, 0, out, r);
    observe({}, 'k', 'stale', labels, { level: WARNING, value: 1, threshold: 0.8, message: 'm' }, 0, out, r);
    expect(out.map((a) => [a.runbookUrl, a.staticLabels])).toEqual([
      ['https://docs.example/runbooks.md#watermark', [{ name: 'cluster', value: 'eu-1' }]],
      ['https://wiki/stale', [{ name: 'cluster', value: 'eu-1' }]],
    ]);
  });
});

describe('hysteresis', () => {
  /** Feeds a ratio sequence through levelAbove (0.8 / 0.95, margin 0.02) and returns the levels. */
  const above = (xs: number[]) => {
    let cur: Level = NONE;
    return xs.map((x) => (cur = levelAbove(x, 0.8, 0.95, 0.02, cur)));
  };
  it('flapping around the threshold fires once and holds until below threshold − margin', () => {
    expect(above([0.79, 0.81, 0.795, 0.805, 0.79, 0.781, 0.779, 0.8])).toEqual([0, 1, 1, 1, 1, 1, 0, 1]);
  });
  it('escalates and de-escalates with the margin too', () => {
    expect(above([0.96, 0.94, 0.92, 0.96, 0.7])).toEqual([2, 2, 1, 2, 0]);
  });
  it('lower-is-worse levels leave only above threshold + margin', () => {
    let cur: Level = NONE;
    const got = [100, 90, 105, 109, 111, 40, 52, 61].map((x) => (cur = levelBelow(x, 100, 50, () => 10, cur)));
    expect(got).toEqual([0, 1, 1, 1, 0, 2, 2, 1]);
  });
});
