/**
 * What the alerts integration tests (alerts-forward.test.ts) share: the Alertmanager binary
 * (installed through infra/deps.sh when missing), the fixture's alert transitions moved to
 * the recent past, transactional writes to an alerts topic, `qmpipe` as a child process,
 * and the keys that match an Alertmanager alert to the transition it came from.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { alertMessages, fromAlertRecord, type AlertRecord } from '#schemas/codecs/outputs.js';
import { fixtureAlerts } from '../../support/alerts.js';
import { produceInTransaction, stack } from './index.js';
import { debianBinaries } from './infra.js';

export { until } from './until.js';

const root = join(import.meta.dirname, '..', '..', '..');
const AM_BIN = process.env.QMPIPE_ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

/** The binary, installed through infra/deps.sh when missing; else why not. */
export const alertmanagerAvailable = (): { ok: boolean; reason: string } => debianBinaries([AM_BIN], 'prometheus-alertmanager');

export { infraEnv } from './infra.js';

export interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  status: { state: string };
}

/** The fixture's transitions moved in time so the last one happened 10 s ago. */
export function recentAlerts(): AlertRecord[] {
  const alerts = fixtureAlerts();
  const shift = Date.now() - 10_000 - alerts[alerts.length - 1]!.t;
  const s = (x: number | null) => (x === null ? null : x + shift);
  return alerts.map((a) => ({ ...a, t: a.t + shift, startsAt: a.startsAt + shift, endsAt: s(a.endsAt), eta: s(a.eta) }));
}

export function produceTx(topic: string, alerts: AlertRecord[], outcome: 'commit' | 'abort'): Promise<void> {
  return produceInTransaction([{ topic, messages: alertMessages(alerts.map(fromAlertRecord)) }], outcome);
}

/** `qmpipe ARGS` (bin/qmpipe.mjs) as a child, its stdout and stderr gathered. */
export function qmpipe(args: string[]): ChildProcess & { out: string[]; err: string[] } {
  const child = spawn(process.execPath, [join(root, 'bin', 'qmpipe.mjs'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  }) as ChildProcess & { out: string[]; err: string[] };
  child.out = [];
  child.err = [];
  child.stdout!.on('data', (d: Buffer) => child.out.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => child.err.push(d.toString()));
  return child;
}

/** `qmpipe alerts forward` from `topic` on the test broker to the Alertmanager at `amUrl`, resending every 2 s. */
export function forwardAlerts(topic: string, amUrl: string): ReturnType<typeof qmpipe> {
  return qmpipe(['alerts', 'forward', '--brokers', stack().kafkaBrokers.join(','), '--topic', topic, '--alertmanager', amUrl, '--resend-interval', '2s']);
}

export function exitCode(child: ChildProcess, timeoutMs = 30_000): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`qmpipe ${child.spawnargs.slice(2).join(' ')} still running after ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

/** Last transition of each alert id whose state is firing: what Alertmanager must show. */
export function expectedFiring(alerts: AlertRecord[]): AlertRecord[] {
  const last = new Map<string, AlertRecord>();
  for (const a of alerts) last.set(a.id, a);
  return [...last.values()].filter((a) => a.state === 'firing');
}

export const amKey = (l: Record<string, string>) => `${l.alertname}|${l.severity}|${l.vm_uuid}|${l.device ?? ''}|${l.image ?? ''}|${l.block_job ?? ''}`;
export const recKey = (a: AlertRecord) =>
  `qmpipe_${a.type.replace(/-/g, '_')}|${a.severity}|${a.labels.vmUuid}|${a.labels.device}|${a.labels.image}|${a.labels.blockJob}`;
