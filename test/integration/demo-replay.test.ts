/**
 * `qmpipe demo --replay` end to end on the real broker and S3Proxy: the recorded
 * thin-LV transcript goes through the raw topic, the processor and the view; the test
 * asserts on what the demo prints (alert transitions, the Parquet objects, the DuckDB
 * query, the report path) and on the HTML it wrote. Needs a built dist/ (`npm run build`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertTarget } from '#demo/report/demoState.js';
import { runFixture } from '../support/fixtureRun.js';
import { alertLines, expectListedParquet, runDemo as demo } from './helpers/demo.js';
import { stack } from './helpers/index.js';
import { restartS3After, type S3Down, stopS3 } from './s3-outage.js';

const FIXTURE = 'test/fixtures/qmp/thin-lv-enospc-commit.jsonl';

describe('qmpipe demo --replay', () => {
  it('runs the transcript through Kafka, the processor and S3, and reports alerts, objects, a query and an HTML chart', async () => {
    const r = await demo(['--replay', FIXTURE, '--no-view', '--speed', '8', '--seconds', '150']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\x1b[');

    const alerts = alertLines(r.stdout);
    const idx = (type: string, state: string, target?: string) =>
      alerts.findIndex((a) => a.type === type && a.state === state && (target === undefined || a.target === target));
    for (const type of ['watermark', 'paused-enospc', 'threshold-crossed', 'commit-growth', 'block-job-error'])
      expect(idx(type, 'firing'), type).toBeGreaterThanOrEqual(0);
    expect(idx('paused-enospc', 'resolved')).toBeGreaterThan(idx('paused-enospc', 'firing'));
    expect(idx('commit-growth', 'firing', 'vda[1] lv0-format')).toBeGreaterThanOrEqual(0);
    expect(idx('block-job-error', 'firing', 'vda job commit0')).toBeGreaterThanOrEqual(0);
    // Exactly what the core emits for the transcript without Kafka (one partition keeps the order).
    const reference = runFixture().alerts.map((a) => ({ state: a.state, type: a.type, target: alertTarget(a.labels) }));
    expect(alerts).toEqual(reference);
    expect(r.stdout).toContain('alert type paused-enospc: firing, resolved');

    const { keys: printed } = await expectListedParquet(r.stdout);

    // DuckDB over the copies: one minute of the fixture, the base's peak allocation 165.3 MiB, 8 MiB/s peak writes.
    expect(r.stdout).toMatch(/^minute_utc +vm +windows +max_allocation_mib +max_physical_mib +peak_write_mib_s$/m);
    expect(r.stdout).toMatch(/^2026-11-22 01:46 +cap-thin +\d+ +165\.3 +160 +8$/m);

    const report = /^HTML report: (.+report\.html)$/m.exec(r.stdout)![1]!;
    expect(report.startsWith(join(stack().runDir, 'demo'))).toBe(true);
    expect(existsSync(report)).toBe(true);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toMatch(/<g class="mark"><title>firing critical paused-enospc vda\[0\] lv0-format/);
    expect(html).toContain(printed[0]);
    expect(r.stdout).toMatch(/^time to first alert: [\d.]+ s after the command started$/m);
  });

  // Issue #23: with S3 gone the demo used to end with exit 0 and no objects.
  it('S3 stopped at the first alert: the alerts go on, and the demo names the rollup windows that never reached S3 and exits 1', async () => {
    let down: Promise<S3Down> | undefined;
    try {
      const r = await demo(['--replay', FIXTURE, '--no-view', '--speed', '8', '--seconds', '150'], (out) => {
        if (!down && out.includes('ALERT FIRING')) down = stopS3(stack().runDir);
      });
      expect(down).toBeDefined();
      expect(r.code, r.stderr).toBe(1);
      const reference = runFixture().alerts.map((a) => ({ state: a.state, type: a.type, target: alertTarget(a.labels) }));
      expect(alertLines(r.stdout), 'every alert, S3 down or not').toEqual(reference);
      const m = /^(\d+) rollup windows published to \S+, (\d+) stored in S3$/m.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      const [published, stored] = [Number(m![1]), Number(m![2])];
      expect(published).toBeGreaterThan(stored);
      expect(r.stdout).toMatch(new RegExp(`^MISSING: ${published - stored} rollup windows never reached S3 .*: rollups/resolution=`, 'm'));
      expect(r.stderr).toContain(`${published - stored} rollup windows never reached S3`);
      expect(r.stderr).toContain('qmpipe demo finished (exit 1)');
    } finally {
      if (down) await restartS3After(await down, 0);
    }
  });

  it('stops on Ctrl-C (SIGINT) mid-replay with exit 130 and no report', async () => {
    let sent = false;
    const r = await demo(['--replay', FIXTURE, '--no-view', '--speed', '1'], (out, kill) => {
      if (!sent && out.includes('ALERT FIRING')) {
        sent = true;
        kill();
      }
    });
    expect(sent).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('SIGINT: stopping everything this demo started');
    expect(r.stderr).toContain('interrupted; everything this demo started is stopped');
    expect(r.stdout).not.toContain('HTML report:');
  });
});
