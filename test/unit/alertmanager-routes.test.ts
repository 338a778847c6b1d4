/**
 * The example route tree (infra/deploy/alertmanager/alertmanager.yml) is a valid
 * Alertmanager config and routes qmpipe's alerts, with the labels the forwarder gives them
 * (alerts/src/alertmanager.ts), where it says; and every alert type's default runbook_url
 * has its section in docs/runbooks.md. amtool is Debian's prometheus-alertmanager
 * (infra/deps.sh installs it): the amtool checks skip, saying so, only where it is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertLabels } from '#alerts/alertmanager.js';
import { AlertType } from '#schemas/config/processor.js';
import type { Severity } from '#schemas/outputs.js';
import { alertRecord } from '../support/alerts.js';

const root = join(import.meta.dirname, '..', '..');
const config = join(root, 'infra', 'deploy', 'alertmanager', 'alertmanager.yml');
const amtool = spawnSync('amtool', ['--version'], { encoding: 'utf8' });
const hasAmtool = amtool.status === 0;
if (!hasAmtool) console.warn('[alertmanager-routes] amtool checks skipped: amtool not installed (Debian prometheus-alertmanager)');

/** The receiver amtool resolves for these labels. */
function receiverOf(labels: Record<string, string>): string {
  const args = ['config', 'routes', 'test', `--config.file=${config}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
  return execFileSync('amtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

const labelsOf = (type: AlertType, severity: Severity, cluster?: string) =>
  alertLabels(alertRecord({ type, severity, staticLabels: cluster ? [{ name: 'cluster', value: cluster }] : [] }));

describe.skipIf(!hasAmtool)('example Alertmanager routes (amtool)', () => {
  it('amtool check-config accepts the example', () => {
    expect(execFileSync('amtool', ['check-config', config], { encoding: 'utf8' })).toContain('SUCCESS');
  });

  it.each([
    ['clock-skew', 'critical', 'eu-1', 'platform'],
    ['paused-enospc', 'critical', 'eu-1', 'pager-eu-1'],
    ['paused-enospc', 'critical', 'us-2', 'pager'],
    ['watermark', 'critical', undefined, 'pager'],
    ['watermark', 'warning', 'eu-1', 'storage-team'],
    ['commit-growth', 'warning', 'us-2', 'storage-team'],
    ['io-errors', 'warning', undefined, 'storage-team'],
    ['stale', 'warning', 'eu-1', 'oncall-chat'],
  ] as const)('%s (%s, cluster %s) → %s', (type, severity, cluster, receiver) => {
    expect(receiverOf(labelsOf(type, severity, cluster))).toBe(receiver);
  });
});

describe('runbooks', () => {
  const headings = new Set([...readFileSync(join(root, 'docs', 'runbooks.md'), 'utf8').matchAll(/^## (.+)$/gm)].map((m) => m[1]));
  it.each(AlertType.options)('docs/runbooks.md has the section #%s', (type) => {
    expect(headings.has(type)).toBe(true);
  });
});
