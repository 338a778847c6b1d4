import { describe, expect, it } from 'vitest';
import { alertLabels, alertName, labelsKey, subjectOf, toAlertmanager } from './alertmanager.js';
import { alertRecord } from '#test/support/alerts.js';

const opts = { now: Date.UTC(2026, 10, 22, 3, 0, 0), validForMs: 240_000 };

describe('alertName', () => {
  it.each([
    ['watermark', 'qmpipe_watermark'],
    ['time-to-full', 'qmpipe_time_to_full'],
    ['paused-enospc', 'qmpipe_paused_enospc'],
    ['improbable-allocation', 'qmpipe_improbable_allocation'],
  ])('%s → %s', (type, name) => expect(alertName(type)).toBe(name));
});

describe('alertLabels', () => {
  it("maps what the alert is about, in snake case: block_job, never job (Prometheus' own label)", () => {
    const a = alertRecord({
      type: 'commit-growth',
      severity: 'critical',
      labels: { host: 'h', vm: 'v', vmUuid: 'u', device: 'vda', backingIndex: 1, node: 'n', blockJob: 'commit0', image: '/dev/vg/lv0' },
    });
    expect(alertLabels(a)).toEqual({
      alertname: 'qmpipe_commit_growth',
      severity: 'critical',
      host: 'h',
      vm: 'v',
      vm_uuid: 'u',
      device: 'vda',
      image: '/dev/vg/lv0',
      block_job: 'commit0',
    });
  });

  it('static labels from config come with every alert', () => {
    const a = alertRecord({
      staticLabels: [
        { name: 'cluster', value: 'eu-1' },
        { name: 'region', value: 'eu' },
      ],
    });
    expect(alertLabels(a)).toMatchObject({ cluster: 'eu-1', region: 'eu', alertname: 'qmpipe_watermark' });
  });

  it('a snapshot moving the image down its chain (or renaming its node) leaves the labels as they were', () => {
    const before = alertRecord({ labels: { backingIndex: 0, node: 'lv0-format' } });
    const after = alertRecord({ labels: { backingIndex: 1, node: 'libvirt-2-format' } });
    expect(alertLabels(after)).toEqual(alertLabels(before));
  });

  it.each([
    ['no device (VM-level)', { device: '', backingIndex: null, node: '', image: '' }, ['alertname', 'severity', 'host', 'vm', 'vm_uuid']],
    ['an image', { backingIndex: 0, blockJob: '' }, ['alertname', 'severity', 'host', 'vm', 'vm_uuid', 'device', 'image']],
    ['a block job', { image: '', blockJob: 'commit0' }, ['alertname', 'severity', 'host', 'vm', 'vm_uuid', 'device', 'block_job']],
  ] as const)('%s', (_name, labels, keys) => {
    expect(Object.keys(alertLabels(alertRecord({ labels })))).toEqual(keys);
  });

  it('identity: severity is part of it, annotations are not', () => {
    const w = alertRecord({ severity: 'warning', message: 'a', value: 1 });
    expect(labelsKey(alertLabels(w))).toBe(labelsKey(alertLabels({ ...w, message: 'b', value: 2 })));
    expect(labelsKey(alertLabels(w))).not.toBe(labelsKey(alertLabels({ ...w, severity: 'critical' })));
  });
});

describe('toAlertmanager', () => {
  it('firing: startsAt from the alert, endsAt validFor after now', () => {
    const a = alertRecord({ startsAt: opts.now - 90_000, t: opts.now - 30_000, value: 0.8365, threshold: 0.8, message: 'vda[0] fmt0: 83.7 % allocated' });
    const p = toAlertmanager(a, opts);
    expect(p.startsAt).toBe(new Date(opts.now - 90_000).toISOString());
    expect(p.endsAt).toBe(new Date(opts.now + 240_000).toISOString());
    expect(p.annotations).toEqual({
      summary: 'watermark (warning) on vm1 vda[0] fmt0',
      description: 'vda[0] fmt0: 83.7 % allocated',
      value: '0.8365',
      threshold: '0.8',
      observed_at: new Date(opts.now - 30_000).toISOString(),
      alert_id: 'a1',
      backing_index: '0',
      node: 'fmt0',
      runbook_url: 'docs/runbooks.md#watermark',
    });
    expect(p.generatorURL).toBeUndefined();
  });

  it('firing in the future (clock skew): endsAt still after startsAt', () => {
    const p = toAlertmanager(alertRecord({ startsAt: opts.now + 600_000 }), opts);
    expect(Date.parse(p.endsAt)).toBe(opts.now + 600_000 + 240_000);
  });

  it('resolved: endsAt is when it resolved, never before startsAt', () => {
    const r = alertRecord({ state: 'resolved', startsAt: 5_000, t: 9_000, endsAt: 9_000 });
    expect(toAlertmanager(r, opts)).toMatchObject({ startsAt: new Date(5_000).toISOString(), endsAt: new Date(9_000).toISOString() });
    expect(toAlertmanager({ ...r, endsAt: null }, opts).endsAt).toBe(new Date(9_000).toISOString());
    expect(toAlertmanager({ ...r, endsAt: 4_000 }, opts).endsAt).toBe(new Date(5_000).toISOString());
  });

  it('eta and paused_ms only when set', () => {
    const p = toAlertmanager(alertRecord({ type: 'paused-enospc', state: 'resolved', endsAt: 2_000, eta: 7_000, pausedMs: 243 }), opts);
    expect(p.annotations.eta).toBe(new Date(7_000).toISOString());
    expect(p.annotations.paused_ms).toBe('243');
  });

  it('generatorURL: ?alert=<id> appended to the configured URL', () => {
    expect(toAlertmanager(alertRecord(), { ...opts, generatorUrl: 'http://grafana/d/x' }).generatorURL).toBe('http://grafana/d/x?alert=a1');
    expect(toAlertmanager(alertRecord(), { ...opts, generatorUrl: 'http://g/d?o=1' }).generatorURL).toBe('http://g/d?o=1&alert=a1');
  });
});

describe('subjectOf', () => {
  it.each([
    [{ device: 'vda', backingIndex: 1, blockJob: '' }, 'vm1 vda[1]'],
    [{ device: 'vda', backingIndex: null, blockJob: 'commit0' }, 'vm1 vda job commit0'],
    [{ device: '', backingIndex: null, blockJob: '' }, 'vm1'],
    [{ vm: '', device: '', backingIndex: null }, 'u1'],
  ] as const)('%o → %s', (labels, s) => expect(subjectOf(alertRecord({ labels }))).toBe(s));
});
