/**
 * The forwarder shell with a fake topic reader (the startSource seam) and a local HTTP
 * server standing in for Alertmanager's POST /api/v2/alerts (the real Alertmanager is
 * in test/integration/alerts-forward.test.ts).
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '#common/log.js';
import type { AlertRecord } from '#schemas/codecs/outputs.js';
import type { PostableAlert } from './alertmanager.js';
import { parseForwardOptions } from './config.js';
import { startForwarder, type Forwarder } from './forward.js';
import type { AlertHandlers, AlertSource } from './alertSource.js';
import { alertRecord } from '#test/support/alerts.js';

interface FakeAm {
  url: string;
  posts: PostableAlert[][];
  status: number;
  server: Server;
}

async function fakeAlertmanager(): Promise<FakeAm> {
  const am: FakeAm = { url: '', posts: [], status: 200, server: createServer() };
  am.server.on('request', (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v2/alerts' && am.status === 200) am.posts.push(JSON.parse(body) as PostableAlert[]);
      res.writeHead(am.status, { 'content-type': 'application/json' });
      res.end(am.status === 400 ? '"start time must be before end time"' : '');
    });
  });
  await new Promise<void>((r) => am.server.listen(0, '127.0.0.1', r));
  am.url = `http://127.0.0.1:${(am.server.address() as { port: number }).port}`;
  return am;
}

function fakeSource(): { start: (o: unknown, h: AlertHandlers) => Promise<AlertSource>; handlers: () => AlertHandlers } {
  let handlers: AlertHandlers | undefined;
  return {
    start: async (_o, h) => {
      handlers = h;
      return { stats: { decoded: 0, undecodable: 0 }, crashed: new Promise<never>(() => {}), stop: async () => {} };
    },
    handlers: () => handlers!,
  };
}

const until = async (cond: () => boolean, ms = 5_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(extra: Record<string, unknown> = {}) {
  const am = await fakeAlertmanager();
  const src = fakeSource();
  const logs: { level: string; msg: string }[] = [];
  const log = createLogger({}, { level: 'info', write: (l) => logs.push(JSON.parse(l) as { level: string; msg: string }) });
  const o = parseForwardOptions({ kafka: { brokers: ['k:1'] }, alertmanager: am.url, resendIntervalMs: 60_000, retryAfterMs: 50, ...extra });
  const fwd: Forwarder = startForwarder(o, {
    log,
    startSource: src.start,
    postRetry: { initialRetryTime: 5, multiplier: 2, factor: 0, maxRetryTime: 10, retries: 1 },
  });
  cleanup.push(async () => {
    await fwd.stop();
    await new Promise((r) => am.server.close(r));
  });
  await until(() => src.handlers() !== undefined);
  return { am, fwd, h: src.handlers(), logs };
}

const names = (posts: PostableAlert[][]) =>
  posts.flat().map((p) => `${p.labels.alertname}/${p.labels.severity} ${Date.parse(p.endsAt) > Date.now() ? 'firing' : 'resolved'}`);

describe('startForwarder', () => {
  it('posts nothing while catching up, then the final state of each alert in one batch', async () => {
    const { am, fwd, h } = await setup();
    const now = Date.now();
    h.onAlerts([
      alertRecord({ id: 'w', t: now - 5_000, startsAt: now - 5_000 }),
      alertRecord({ id: 'w', t: now - 4_000, startsAt: now - 5_000, severity: 'critical' }),
      alertRecord({ id: 'p', type: 'paused-enospc', t: now - 3_000, startsAt: now - 3_000, labels: { backingIndex: null, node: '' } }),
      alertRecord({
        id: 'p',
        type: 'paused-enospc',
        state: 'resolved',
        t: now - 2_000,
        startsAt: now - 3_000,
        endsAt: now - 2_000,
        labels: { backingIndex: null, node: '' },
      }),
      alertRecord({
        id: 'old',
        type: 'stale',
        state: 'resolved',
        t: now - 7_200_000,
        startsAt: now - 7_300_000,
        endsAt: now - 7_200_000,
        labels: { device: '' },
      }),
    ]);
    await new Promise((r) => setTimeout(r, 50));
    expect(am.posts).toEqual([]);
    h.onCaughtUp();
    await fwd.caughtUp;
    expect(am.posts).toHaveLength(1);
    expect(names(am.posts).sort()).toEqual(['qmpipe_paused_enospc/warning resolved', 'qmpipe_watermark/critical firing', 'qmpipe_watermark/warning resolved']);
    expect(fwd.stats()).toMatchObject({ firing: 1, queued: 0, postedFiring: 1, postedResolved: 2 });
  });

  it('re-sends firing alerts every resend interval with a later endsAt', async () => {
    const { am, h } = await setup({ resendIntervalMs: 40 });
    h.onCaughtUp();
    h.onAlerts([alertRecord({ t: Date.now(), startsAt: Date.now() })]);
    await until(() => am.posts.length >= 3);
    const ends = am.posts.slice(0, 3).map((p) => Date.parse(p[0]!.endsAt));
    expect(ends[2]).toBeGreaterThan(ends[0]!);
    expect(Date.parse(am.posts[0]![0]!.endsAt) - Date.now()).toBeLessThanOrEqual(160);
  });

  it('Alertmanager down: one error line per failed attempt, alerts kept, delivered when it is back', async () => {
    const { am, h, logs, fwd } = await setup();
    am.status = 503;
    h.onCaughtUp();
    h.onAlerts([alertRecord({ id: 'x', t: Date.now(), startsAt: Date.now() })]);
    await until(() => logs.filter((l) => l.msg.startsWith('alertmanager unavailable')).length >= 2);
    h.onAlerts([alertRecord({ id: 'x', state: 'resolved', t: Date.now(), startsAt: Date.now() - 1, endsAt: Date.now() })]);
    expect(fwd.stats().queued).toBe(1);
    am.status = 200;
    await until(() => am.posts.length === 1);
    expect(names(am.posts)).toEqual(['qmpipe_watermark/warning resolved']);
    await until(() => logs.some((l) => l.msg === 'alertmanager reachable again'));
    const err = logs.find((l) => l.msg.startsWith('alertmanager unavailable')) as Record<string, unknown>;
    expect(err).toMatchObject({ level: 'error', url: `${am.url}/api/v2/alerts`, retryInMs: 50 });
    expect(String(err.error)).toContain('HTTP 503');
  });

  it('Alertmanager unreachable (connection refused) is retried the same way', async () => {
    const { am, h, logs } = await setup();
    await new Promise((r) => am.server.close(r));
    h.onCaughtUp();
    h.onAlerts([alertRecord({ t: Date.now(), startsAt: Date.now() })]);
    await until(() => logs.some((l) => l.msg.startsWith('alertmanager unavailable')));
    expect(JSON.stringify(logs)).toContain('ECONNREFUSED');
    am.server.listen(0, '127.0.0.1'); // let cleanup close it
  });

  it('a batch Alertmanager rejects (400) is dropped, not retried', async () => {
    const { am, h, logs, fwd } = await setup();
    am.status = 400;
    h.onCaughtUp();
    h.onAlerts([alertRecord({ t: Date.now(), startsAt: Date.now() })]);
    await until(() => logs.some((l) => l.msg.startsWith('alertmanager rejected')));
    expect(fwd.stats()).toMatchObject({ rejected: 1, queued: 0, failedPosts: 0 });
  });

  it('no log line per alert at info, and stop() posts what is queued', async () => {
    const { am, h, logs, fwd } = await setup();
    h.onCaughtUp();
    await fwd.caughtUp;
    const many: AlertRecord[] = Array.from({ length: 200 }, (_, i) =>
      alertRecord({ id: `a${i}`, t: Date.now(), startsAt: Date.now(), labels: { device: `d${i}` } }),
    );
    h.onAlerts(many);
    await fwd.stop();
    expect(am.posts.flat()).toHaveLength(200);
    expect(logs.length).toBeLessThanOrEqual(3);
  });
});
