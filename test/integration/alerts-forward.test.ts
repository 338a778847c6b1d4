/**
 * `qmpipe alerts forward` against a real Alertmanager (Debian's prometheus-alertmanager,
 * started by infra/alertmanager/start.sh) and `qmpipe alerts tail`, both as child
 * processes of bin/qmpipe.mjs (run `npm run build` first), on a random alerts topic of
 * the real broker. The alerts are real: the processor core's transitions over the
 * thin-LV fixture (watermark, time-to-full, paused-enospc fire and resolve, …), shifted
 * to end a few seconds ago, encoded with the alert codec and written in committed
 * transactions, plus an aborted transaction and an undecodable record that must never
 * show. Skips only when the Alertmanager binary is missing and cannot be installed.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord } from '#schemas/codecs/outputs.js';
import {
  alertmanagerAvailable,
  amKey,
  exitCode,
  expectedFiring,
  type GettableAlert,
  infraEnv,
  produceTx,
  forwardAlerts,
  qmpipe,
  recentAlerts,
  recKey,
  until,
} from './helpers/alerts.js';
import { createTopics, kafkaClient, randomName, stack } from './helpers/index.js';

const { Partitioners } = kafkajs;
const root = join(import.meta.dirname, '..', '..');
const am = alertmanagerAvailable();
if (!am.ok) console.warn(`[alerts-forward] skipped: ${am.reason}`);

describe.skipIf(!am.ok)('qmpipe alerts forward → real Alertmanager, and alerts tail', () => {
  const topic = randomName('it-alerts');
  const alerts = recentAlerts();
  const split = alerts.findIndex((a) => a.type === 'paused-enospc' && a.state === 'firing') + 1;
  const phase1 = alerts.slice(0, split);
  const aborted: AlertRecord = {
    ...alerts[0]!,
    id: 'aborted0000000000',
    type: 'stale',
    labels: { ...alerts[0]!.labels, vm: 'aborted-vm', vmUuid: 'aborted-uuid' },
  };
  const duringOutage: AlertRecord = {
    ...phase1[0]!,
    id: 'outage0000000000',
    t: Date.now(),
    startsAt: Date.now(),
    severity: 'warning',
    message: 'fired while Alertmanager was down',
    labels: { ...phase1[0]!.labels, device: 'vdq' },
  };
  let amUrl = '';
  let forwarder: ChildProcess & { out: string[]; err: string[] };

  const amAlerts = async (query = ''): Promise<GettableAlert[]> => (await (await fetch(`${amUrl}/api/v2/alerts${query}`)).json()) as GettableAlert[];
  /** Alertmanager's alerts once their keys are exactly `want`'s. */
  const amShows = (want: AlertRecord[]) =>
    until(`Alertmanager to show ${want.map(recKey).join(', ')}`, async () => {
      const got = await amAlerts();
      return JSON.stringify(got.map((g) => amKey(g.labels)).sort()) === JSON.stringify(want.map(recKey).sort()) ? got : undefined;
    });

  beforeAll(async () => {
    const out = execFileSync('bash', [join(root, 'infra/alertmanager/start.sh')], { env: infraEnv(), encoding: 'utf8' });
    amUrl = /^ALERTMANAGER_URL=(.*)$/m.exec(out)![1]!;
    await createTopics([topic], 3);
    await produceTx(topic, phase1, 'commit');
    await produceTx(topic, [aborted], 'abort');
    const p = kafkaClient('it-alerts-poison').producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await p.connect();
    await p.send({ topic, messages: [{ key: 'poison', value: Buffer.from('not an avro record') }] });
    await p.disconnect();
  });

  afterAll(async () => {
    if (forwarder && forwarder.exitCode === null) forwarder.kill('SIGKILL');
    execFileSync('bash', [join(root, 'infra/alertmanager/stop.sh')], { env: infraEnv(), stdio: 'inherit' });
  });

  it('rebuilds the firing set from the topic: firing alerts show up with their labels and annotations', async () => {
    forwarder = forwardAlerts(topic, amUrl);
    const want = expectedFiring(phase1);
    expect(want.map((a) => a.type)).toContain('paused-enospc');
    const got = await amShows(want);
    const paused = got.find((g) => g.labels.alertname === 'qmpipe_paused_enospc')!;
    const rec = want.find((a) => a.type === 'paused-enospc')!;
    expect(paused.labels).toEqual({
      alertname: 'qmpipe_paused_enospc',
      severity: 'critical',
      host: rec.labels.host,
      vm: 'cap-thin',
      vm_uuid: rec.labels.vmUuid,
      device: 'vda',
      image: rec.labels.image,
    });
    expect(paused.annotations).toMatchObject({
      description: rec.message,
      value: String(rec.value),
      threshold: String(rec.threshold),
      alert_id: rec.id,
      backing_index: String(rec.labels.backingIndex),
      node: rec.labels.node,
      runbook_url: 'docs/runbooks.md#paused-enospc',
    });
    expect(paused.status.state).toBe('active');
    expect(Date.parse(paused.startsAt)).toBe(rec.startsAt);
    expect(Date.parse(paused.endsAt)).toBeGreaterThan(Date.now());
    for (const g of got) expect(g.labels.vm).not.toBe('aborted-vm');
    // A severity change resolved the warning identity of the same alert.
    const upgraded = phase1.filter((a) => a.state === 'firing' && a.severity === 'critical' && phase1.some((b) => b.id === a.id && b.severity === 'warning'));
    expect(upgraded.length).toBeGreaterThan(0);
    const shown = new Set(got.map((g) => amKey(g.labels)));
    for (const a of upgraded) expect(shown.has(recKey({ ...a, severity: 'warning' }))).toBe(false);
    console.log(`[alerts-forward] Alertmanager shows ${got.length} firing alerts: ${got.map((g) => `${g.labels.alertname}/${g.labels.severity}`).join(', ')}`);
  });

  it('re-sends firing alerts (updatedAt and endsAt move on)', async () => {
    const before = (await amAlerts())[0]!;
    const after = await until(
      'a re-send',
      async () => {
        const g = (await amAlerts()).find((x) => amKey(x.labels) === amKey(before.labels));
        return g && Date.parse(g.updatedAt) > Date.parse(before.updatedAt) ? g : undefined;
      },
      15_000,
    );
    expect(Date.parse(after.endsAt)).toBeGreaterThan(Date.parse(before.endsAt));
  });

  it('new transitions resolve alerts there: paused-enospc and the others end as the topic says', async () => {
    const resolvedBefore = await receivedResolved();
    await produceTx(topic, alerts.slice(split), 'commit');
    const want = expectedFiring(alerts);
    const got = await amShows(want);
    expect(got.some((g) => g.labels.alertname === 'qmpipe_paused_enospc')).toBe(false);
    expect(await amAlerts('?active=false&silenced=true&inhibited=true')).toEqual([]);
    expect(await receivedResolved()).toBeGreaterThan(resolvedBefore);
    console.log(
      `[alerts-forward] after the rest of the topic: ${got.length} firing (${got.map((g) => `${g.labels.alertname}/${g.labels.severity}`).join(', ') || 'none'}); resolved alerts received by Alertmanager: ${await receivedResolved()}`,
    );
  });

  it('Alertmanager down and restarted (empty): an error line, no crash, then everything firing is back', async () => {
    const port = new URL(amUrl).port;
    execFileSync('bash', [join(root, 'infra/alertmanager/stop.sh')], { env: infraEnv(), stdio: 'inherit' });
    await produceTx(topic, [duringOutage], 'commit');
    await until('the forwarder to report Alertmanager down', async () => (forwarder.err.join('').includes('alertmanager unavailable') ? true : undefined));
    expect(forwarder.exitCode).toBeNull();
    execFileSync('bash', [join(root, 'infra/alertmanager/start.sh')], {
      env: { ...infraEnv(), QMPIPE_ALERTMANAGER_PORT: port },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    // The restarted Alertmanager holds nothing: the queued transition arrives on the next
    // attempt, the alerts firing before come back with the next re-send.
    const got = await amShows([...expectedFiring(alerts), duringOutage]);
    expect(got.find((g) => g.labels.device === 'vdq')?.annotations.description).toBe('fired while Alertmanager was down');
    await until('the recovery log line', async () => (forwarder.err.join('').includes('alertmanager reachable again') ? true : undefined));
  });

  it('stops cleanly on SIGTERM, having logged no line per alert and counted the undecodable record', async () => {
    forwarder.kill('SIGTERM');
    expect(await exitCode(forwarder)).toBe(0);
    const logs = forwarder.err
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const ours = logs.filter((l) => l.component !== 'kafkajs');
    expect(ours.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['forwarding alerts', 'caught up on the alerts topic', 'alertmanager reachable again', 'stopping', 'alerts forwarder stopped']),
    );
    const errors = logs.filter((l) => l.level === 'error');
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatchObject({ msg: 'alertmanager unavailable; alerts kept for the next attempt', url: `${amUrl}/api/v2/alerts` });
    expect(String(errors[0]!.error)).toContain('ECONNREFUSED');
    expect(ours.length).toBeLessThan(10 + errors.length);
    expect(ours.find((l) => l.msg === 'alerts forwarder stopped')).toMatchObject({ undecodable: 1, decoded: alerts.length + 1 });
    console.log(`[alerts-forward] forwarder log: ${ours.map((l) => `${String(l.level)} ${String(l.msg)}`).join(' | ')}`);
  });

  it('forward started before its topic exists keeps retrying, then forwards', async () => {
    const late = randomName('it-alerts-late');
    const child = qmpipe([
      'alerts',
      'forward',
      '--brokers',
      stack().kafkaBrokers.join(','),
      '--topic',
      late,
      '--alertmanager',
      amUrl,
      '--resend-interval',
      '2s',
    ]);
    try {
      await until('the missing-topic error', async () => (child.err.join('').includes(`topic ${late} does not exist`) ? true : undefined));
      await createTopics([late], 1);
      const lateAlert: AlertRecord = {
        ...duringOutage,
        id: 'late000000000000',
        t: Date.now(),
        startsAt: Date.now(),
        message: 'on a topic created late',
        labels: { ...duringOutage.labels, device: 'vdl' },
      };
      await produceTx(late, [lateAlert], 'commit');
      const got = await until('the late alert in Alertmanager', async () => (await amAlerts()).find((g) => g.labels.device === 'vdl'), 60_000);
      expect(got.annotations.description).toBe('on a topic created late');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exitCode(child)).toBe(0);
  });

  it('alerts tail prints every committed transition once, in human form, then exits', async () => {
    const child = qmpipe(['alerts', 'tail', '--brokers', stack().kafkaBrokers.join(','), '--topic', topic]);
    expect(await exitCode(child)).toBe(0);
    const lines = child.out.join('').split('\n').filter(Boolean);
    expect(lines).toHaveLength(alerts.length + 1); // + the one published during the outage
    expect(lines.join('\n')).not.toContain('\u001b[');
    expect(lines.join('\n')).not.toContain('aborted-vm');
    const paused = alerts.find((a) => a.type === 'paused-enospc' && a.state === 'resolved')!;
    const line = lines.find((l) => l.includes('RESOLVED') && l.includes('paused-enospc'))!;
    expect(line.startsWith(new Date(paused.t).toISOString())).toBe(true);
    expect(line).toMatch(/ RESOLVED critical paused-enospc +cap-thin vda/);
    expect(line.endsWith(paused.message)).toBe(true);
    expect(child.err.join('')).toContain('"undecodable":1');
    console.log(`[alerts-forward] tail:\n${lines.slice(0, 6).join('\n')}\n…`);
  });

  it('alerts tail --json prints the records themselves', async () => {
    const child = qmpipe(['alerts', 'tail', '--json', '--brokers', stack().kafkaBrokers.join(','), '--topic', topic]);
    expect(await exitCode(child)).toBe(0);
    const got = child.out
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AlertRecord);
    const order = (xs: AlertRecord[]) =>
      [...xs].sort((a, b) => a.t - b.t || a.id.localeCompare(b.id) || a.state.localeCompare(b.state) || a.severity.localeCompare(b.severity));
    expect(order(got)).toEqual(order([...alerts, duringOutage]));
  });

  it('alerts tail --follow --from-now prints only new transitions until SIGINT', async () => {
    const child = qmpipe(['alerts', 'tail', '--follow', '--from-now', '--brokers', stack().kafkaBrokers.join(','), '--topic', topic]);
    const fresh = { ...alerts[0]!, id: 'fresh00000000000', message: 'a fresh transition', t: Date.now(), labels: { ...alerts[0]!.labels, device: 'vdz' } };
    // The consumer starts at "latest" once it has joined: publish until it prints one.
    await until(
      'tail --follow to print a new transition',
      async () => {
        await produceTx(topic, [{ ...fresh, t: Date.now() }], 'commit');
        return child.out.join('').includes('a fresh transition') ? true : undefined;
      },
      60_000,
    );
    child.kill('SIGINT');
    expect(await exitCode(child)).toBe(0);
    const lines = child.out.join('').split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toContain('a fresh transition');
  });

  it('alerts tail on a topic that does not exist exits 1 and says so', async () => {
    const missing = randomName('it-missing');
    const child = qmpipe(['alerts', 'tail', '--brokers', stack().kafkaBrokers.join(','), '--topic', missing]);
    expect(await exitCode(child)).toBe(1);
    const last = child.err.join('').trim().split('\n').pop()!;
    expect(last).toBe(`qmpipe alerts: topic ${missing} does not exist (the processor creates it on start)`);
    console.log(`[alerts-forward] missing topic: ${last}`);
  });

  async function receivedResolved(): Promise<number> {
    const text = await (await fetch(`${amUrl}/metrics`)).text();
    const m = /^alertmanager_alerts_received_total\{status="resolved",version="v2"\} (\d+)/m.exec(text);
    return Number(m?.[1] ?? 0);
  }
});
