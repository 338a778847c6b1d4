/**
 * A silence on an image's watermark alert holds after a live snapshot moves the image
 * down its chain, on the real Alertmanager (Debian's prometheus-alertmanager, started by
 * infra/alertmanager/start.sh). The alerts are the processor core's transitions over the
 * thin-LV transcript (test/fixtures/qmp/thin-lv-enospc-commit.jsonl): the watermark fires
 * on lv0-format at backing index 0, resolves when the LV is grown, and fires again after
 * the live snapshot made top-format the active layer and lv0-format backing index 1.
 * They go through the alerts topic of the real broker and `qmpipe alerts forward` (a
 * child process of bin/qmpipe.mjs: run `npm run build` first). The silence is created
 * with Alertmanager's API v2 on the first watermark alert's identity (its labels but
 * severity, host and vm): it must suppress the alert before the snapshot and after it,
 * and the alert after it must be the same Alertmanager alert (one fingerprint).
 * Skips only when the Alertmanager binary is missing and cannot be installed.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord } from '#schemas/codecs/outputs.js';
import { alertmanagerAvailable, exitCode, type GettableAlert, infraEnv, produceTx, type qmpipe, forwardAlerts, recentAlerts, until } from './helpers/alerts.js';
import { createTopics, randomName } from './helpers/index.js';

const root = join(import.meta.dirname, '..', '..');
const am = alertmanagerAvailable();
if (!am.ok) console.warn(`[alerts-silence-snapshot] skipped: ${am.reason}`);

type Shown = GettableAlert & { fingerprint: string; status: { state: string; silencedBy: string[] } };

/** Where the alert says its image is: an annotation now, a label in releases before. */
const backingIndexOf = (g: Shown) => g.annotations.backing_index ?? g.labels.backing_index;

describe.skipIf(!am.ok)('a silence on an image watermark alert survives a live snapshot (real Alertmanager)', () => {
  const topic = randomName('it-alerts-silence');
  const alerts = recentAlerts();
  const isWatermark = (a: AlertRecord, backingIndex: number) => a.type === 'watermark' && a.state === 'firing' && a.labels.backingIndex === backingIndex;
  const before = alerts.findIndex((a) => isWatermark(a, 0)) + 1;
  const after = alerts.findIndex((a) => isWatermark(a, 1)) + 1;
  let amUrl = '';
  let forwarder: ReturnType<typeof qmpipe> | undefined;

  const watermarks = async (): Promise<Shown[]> => {
    const all = (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as Shown[];
    return all.filter((g) => g.labels.alertname === 'qmpipe_watermark' && g.labels.severity === 'warning');
  };

  beforeAll(async () => {
    const out = execFileSync('bash', [join(root, 'infra/alertmanager/start.sh')], { env: infraEnv(), encoding: 'utf8' });
    amUrl = /^ALERTMANAGER_URL=(.*)$/m.exec(out)![1]!;
    await createTopics([topic], 1);
  });

  afterAll(async () => {
    if (forwarder && forwarder.exitCode === null) {
      forwarder.kill('SIGTERM');
      await exitCode(forwarder);
    }
    execFileSync('bash', [join(root, 'infra/alertmanager/stop.sh')], { env: infraEnv(), stdio: 'inherit' });
  });

  it('suppresses the alert before the snapshot and after it, as one Alertmanager alert', async () => {
    // The transcript as the brief describes it: a watermark alert on lv0 at backing index 0 before the snapshot, at 1 after.
    expect(before).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(before);
    await produceTx(topic, alerts.slice(0, before), 'commit');
    forwarder = forwardAlerts(topic, amUrl);
    const [pre] = await until('the watermark alert at backing index 0', async () => {
      const w = await watermarks();
      return w.length === 1 && backingIndexOf(w[0]!) === '0' ? w : undefined;
    });

    // The silence an operator makes from the alert: what it is about (not its severity, host or VM name).
    const matchers = Object.entries(pre!.labels)
      .filter(([name]) => !['severity', 'host', 'vm'].includes(name))
      .map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
    const res = await fetch(`${amUrl}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers,
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        createdBy: 'alerts-silence-snapshot.test.ts',
        comment: 'lv0 is being extended',
      }),
    });
    expect(res.status).toBe(200);
    const { silenceID } = (await res.json()) as { silenceID: string };
    const silenced = await until('the alert suppressed by the silence', async () => {
      const w = (await watermarks()).find((g) => g.fingerprint === pre!.fingerprint);
      return w?.status.state === 'suppressed' ? w : undefined;
    });
    expect(silenced.status.silencedBy).toEqual([silenceID]);

    // The LV is grown (the alert resolves), the live snapshot moves lv0 to backing index 1, the commit fills it: it fires again.
    await produceTx(topic, alerts.slice(before, after), 'commit');
    const moved = await until('the watermark alert at backing index 1', async () => {
      const w = await watermarks();
      return w.some((g) => backingIndexOf(g) === '1') ? w : undefined;
    });
    console.log(
      `[alerts-silence-snapshot] silence on ${matchers.map((m) => `${m.name}=${m.value}`).join(',')}; after the snapshot: ${moved
        .map((g) => `${g.fingerprint} ${g.status.state} backing_index=${backingIndexOf(g)}`)
        .join('; ')}`,
    );
    expect(moved.map((g) => [g.fingerprint, g.status.state, g.status.silencedBy])).toEqual([[pre!.fingerprint, 'suppressed', [silenceID]]]);
    expect(moved[0]!.labels).toEqual(pre!.labels);
    // The silence matched what the alert is about: the image, never its position or node.
    expect(matchers.map((m) => m.name).sort()).toEqual(['alertname', 'device', 'image', 'vm_uuid']);
    expect(matchers.find((m) => m.name === 'image')?.value).toBe('/dev/loop2');
  });
});
