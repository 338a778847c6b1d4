import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '#schemas/codecs/outputs.js';
import { applyTransition, drainOutbox, identityOf, initialForwardState, queueResend, requeue, type ForwardState } from './firingSet.js';
import { alertRecord, fixtureAlerts } from '#test/support/alerts.js';

function run(transitions: AlertRecord[]): ForwardState {
  const s = initialForwardState();
  for (const a of transitions) applyTransition(s, a);
  return s;
}

/** `state severity t` of what would be posted, for compact expectations. */
const brief = (as: AlertRecord[]) => as.map((a) => `${a.id} ${a.state} ${a.severity} ${a.endsAt ?? '-'}`);

describe('applyTransition', () => {
  it.each([
    {
      name: 'fire then resolve: one identity, the resolution wins',
      in: [alertRecord({ t: 1 }), alertRecord({ state: 'resolved', t: 5, endsAt: 5 })],
      firing: [],
      posted: ['a1 resolved warning 5'],
    },
    {
      name: 'severity up: the warning alert resolves at the change, the critical one fires',
      in: [alertRecord({ t: 1, startsAt: 1 }), alertRecord({ t: 3, startsAt: 1, severity: 'critical' })],
      firing: ['a1 critical'],
      posted: ['a1 resolved warning 3', 'a1 firing critical -'],
    },
    {
      name: 'severity up then resolved: both identities end resolved',
      in: [alertRecord({ t: 1 }), alertRecord({ t: 3, severity: 'critical' }), alertRecord({ t: 7, severity: 'critical', state: 'resolved', endsAt: 7 })],
      firing: [],
      posted: ['a1 resolved warning 3', 'a1 resolved critical 7'],
    },
    {
      name: 'a resolution carrying another severity resolves the identity that fired',
      in: [alertRecord({ t: 1, severity: 'critical' }), alertRecord({ t: 4, severity: 'warning', state: 'resolved', endsAt: 4 })],
      firing: [],
      posted: ['a1 resolved critical 4'],
    },
    {
      name: 'two alerts are independent',
      in: [
        alertRecord({ id: 'a1', t: 1 }),
        alertRecord({ id: 'b2', t: 2, labels: { device: 'vdb' } }),
        alertRecord({ id: 'a1', t: 3, state: 'resolved', endsAt: 3 }),
      ],
      firing: ['b2 warning'],
      posted: ['b2 firing warning -', 'a1 resolved warning 3'],
    },
    {
      name: 'a resolution of an alert never seen firing (fired before retention) is still posted',
      in: [alertRecord({ state: 'resolved', t: 9, endsAt: 9 })],
      firing: [],
      posted: ['a1 resolved warning 9'],
    },
  ])('$name', (c) => {
    const s = run(c.in);
    expect([...s.firing.values()].map((a) => `${a.id} ${a.severity}`)).toEqual(c.firing);
    expect(brief(drainOutbox(s))).toEqual(c.posted);
    expect(s.outbox.size).toBe(0);
  });

  it('an alert fired by an older processor (backing_index, node, job labels) and resolved by a newer one resolves the label set it fired under', () => {
    // A checkpoint of core state version 4 keeps the id; the resolution comes with image and without the position.
    const old = alertRecord({ t: 1, startsAt: 1, labels: { image: '', backingIndex: 0, node: 'lv0-format' }, runbookUrl: '' });
    const now = alertRecord({ t: 5, startsAt: 1, state: 'resolved', endsAt: 5, labels: { image: '/dev/loop2', backingIndex: 1, node: 'lv0-format' } });
    expect(identityOf(now)).not.toBe(identityOf(old));
    const posted = drainOutbox(run([old, now]));
    expect(posted.map((a) => [identityOf(a), a.state, a.endsAt])).toEqual([[identityOf(old), 'resolved', 5]]);
  });

  it('labels changed under the same id while firing (new static labels): the old label set resolves, the new one fires', () => {
    const before = alertRecord({ t: 1, startsAt: 1 });
    const after = alertRecord({ t: 3, startsAt: 1, staticLabels: [{ name: 'cluster', value: 'eu-1' }] });
    const posted = drainOutbox(run([before, after]));
    expect(posted.map((a) => [identityOf(a), a.state])).toEqual([
      [identityOf(before), 'resolved'],
      [identityOf(after), 'firing'],
    ]);
    expect(posted[0]!.message).toBe('labels changed: m');
  });

  it('the synthetic resolution keeps the original startsAt', () => {
    const s = run([alertRecord({ t: 1, startsAt: 1 }), alertRecord({ t: 3, startsAt: 1, severity: 'critical' })]);
    const [resolved] = drainOutbox(s);
    expect(resolved).toMatchObject({ state: 'resolved', startsAt: 1, endsAt: 3, t: 3 });
  });
});

describe('drainOutbox', () => {
  it('drops resolutions that ended before resolvedSince, keeps firing alerts', () => {
    const s = run([
      alertRecord({ id: 'old', t: 1, labels: { device: 'a' } }),
      alertRecord({ id: 'old', state: 'resolved', t: 2, endsAt: 2, labels: { device: 'a' } }),
      alertRecord({ id: 'new', t: 3, labels: { device: 'b' } }),
      alertRecord({ id: 'new', state: 'resolved', t: 50, endsAt: 50, labels: { device: 'b' } }),
      alertRecord({ id: 'on', t: 4, labels: { device: 'c' } }),
    ]);
    expect(brief(drainOutbox(s, 10))).toEqual(['new resolved warning 50', 'on firing warning -']);
  });
});

describe('queueResend / requeue', () => {
  it('resend queues each firing alert once, never over a newer queued transition', () => {
    const s = run([alertRecord({ id: 'a', t: 1, labels: { device: 'a' } }), alertRecord({ id: 'b', t: 2, labels: { device: 'b' } })]);
    drainOutbox(s);
    expect(queueResend(s)).toBe(2);
    expect(queueResend(s)).toBe(0);
    expect(brief(drainOutbox(s))).toEqual(['a firing warning -', 'b firing warning -']);
  });

  it('a failed batch goes back, but what was queued meanwhile supersedes it', () => {
    const s = run([alertRecord({ id: 'a', t: 1, labels: { device: 'a' } }), alertRecord({ id: 'b', t: 2, labels: { device: 'b' } })]);
    const failed = drainOutbox(s);
    applyTransition(s, alertRecord({ id: 'a', t: 5, state: 'resolved', endsAt: 5, labels: { device: 'a' } }));
    requeue(s, failed);
    expect(brief(drainOutbox(s))).toEqual(['b firing warning -', 'a resolved warning 5']);
  });

  it('the outbox holds one entry per identity however many transitions arrive', () => {
    const s = initialForwardState();
    for (let t = 0; t < 1000; t++) applyTransition(s, alertRecord({ t, state: t % 2 === 0 ? 'firing' : 'resolved', endsAt: t % 2 === 0 ? null : t }));
    expect(s.outbox.size).toBe(1);
  });
});

describe('over the thin-LV fixture (real core transitions)', () => {
  const alerts = fixtureAlerts();

  it('the firing set is exactly the alerts whose last transition is firing', () => {
    const s = run(alerts);
    const last = new Map<string, AlertRecord>();
    for (const a of alerts) last.set(a.id, a);
    const expected = [...last.values()]
      .filter((a) => a.state === 'firing')
      .map((a) => `${a.id} ${a.severity}`)
      .sort();
    expect([...s.firing.values()].map((a) => `${a.id} ${a.severity}`).sort()).toEqual(expected);
  });

  it('posting the outbox leaves each identity in its final state, and only firing identities firing', () => {
    const s = run(alerts);
    const posted = drainOutbox(s);
    const identities = posted.map(identityOf);
    expect(new Set(identities).size).toBe(identities.length);
    const firingIds = new Set([...s.firing.values()].map(identityOf));
    for (const a of posted) expect(a.state === 'firing').toBe(firingIds.has(identityOf(a)));
    expect(posted.some((a) => a.type === 'paused-enospc' && a.state === 'resolved')).toBe(true);
  });

  it('a split read (restart mid-topic) ends in the same firing set', () => {
    const whole = run(alerts);
    const half = run(alerts.slice(0, Math.floor(alerts.length / 2)));
    for (const a of alerts.slice(Math.floor(alerts.length / 2))) applyTransition(half, a);
    expect([...half.firing.keys()].sort()).toEqual([...whole.firing.keys()].sort());
  });
});
