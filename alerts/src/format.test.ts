import { describe, expect, it } from 'vitest';
import { formatAlert, formatDuration, formatHuman, formatNumber } from './format.js';
import { alertRecord } from '#test/support/alerts.js';

const t = Date.UTC(2026, 10, 22, 1, 46, 38, 917);

describe('formatNumber / formatDuration', () => {
  it.each([
    [0, '0'],
    [42, '42'],
    [159711232, '159711232'],
    [0.8365885416666666, '0.8366'],
    [1.0032552083333333, '1.003'],
    [3333442.479634413, '3333442'],
    [-0.25, '-0.25'],
    [Number.NaN, 'NaN'],
  ])('%d → %s', (x, s) => expect(formatNumber(x)).toBe(s));

  it.each([
    [243, '0.243 s'],
    [59_000, '59 s'],
    [90_000, '1.5 min'],
    [7_200_000, '2 h'],
  ])('%d ms → %s', (ms, s) => expect(formatDuration(ms)).toBe(s));
});

describe('formatHuman', () => {
  it('firing: time, state, severity, type, where, value vs threshold, message', () => {
    const a = alertRecord({ t, severity: 'critical', value: 1.0032552083333333, threshold: 0.95, message: 'vda[0] lv0-format: 96.3 MiB of 96.0 MiB' });
    expect(formatHuman(a, { color: false })).toBe(
      '2026-11-22T01:46:38.917Z FIRING   critical watermark             vm1 vda[0]  1.003 (threshold 0.95)  vda[0] lv0-format: 96.3 MiB of 96.0 MiB',
    );
  });

  it('resolved: says how long it fired', () => {
    const a = alertRecord({
      t,
      type: 'paused-enospc',
      state: 'resolved',
      severity: 'critical',
      startsAt: t - 243,
      endsAt: t,
      value: 0.243,
      threshold: 0,
      message: 'resumed after 0.2 s paused on ENOSPC',
    });
    expect(formatHuman(a, { color: false })).toBe(
      '2026-11-22T01:46:38.917Z RESOLVED critical paused-enospc         vm1 vda[0]  0.243 (threshold 0) after 0.243 s  resumed after 0.2 s paused on ENOSPC',
    );
  });

  it.each([
    ['firing critical is red', alertRecord({ severity: 'critical' }), '\u001b[31mFIRING  \u001b[0m'],
    ['firing warning is yellow', alertRecord({ severity: 'warning' }), '\u001b[33mFIRING  \u001b[0m'],
    ['resolved is green', alertRecord({ state: 'resolved', endsAt: 2_000 }), '\u001b[32mRESOLVED\u001b[0m'],
  ])('colour only when asked: %s', (_n, a, painted) => {
    expect(formatHuman(a, { color: true })).toContain(painted);
    expect(formatHuman(a, { color: false })).not.toContain('\u001b[');
  });
});

describe('formatAlert json', () => {
  it('is the record, one line, parseable back', () => {
    const a = alertRecord({ message: 'two\nlines', eta: 5 });
    const line = formatAlert(a, 'json', { color: true });
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(a);
  });
});
