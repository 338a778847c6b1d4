/**
 * The test Prometheus (infra/prometheus/start.sh: Debian's prometheus as a remote-write
 * receiver on loopback) and its HTTP query API, for the remote-write and dashboard tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianBinaries, infraEnv } from './infra.js';

const root = join(import.meta.dirname, '..', '..', '..');
export const PROMETHEUS_BIN = process.env.QMPIPE_PROMETHEUS_BIN ?? '/usr/bin/prometheus';
export const PROMTOOL_BIN = '/usr/bin/promtool';

/** The binaries, installed through infra/deps.sh when missing; else why not. */
export const prometheusAvailable = (): { ok: boolean; reason: string } => debianBinaries([PROMETHEUS_BIN, PROMTOOL_BIN], 'prometheus');

/**
 * Starts it (on `port` and keeping its TSDB when given: a restart); returns its URL. `extra`
 * adds start.sh's variables (QMPIPE_PROMETHEUS_WEB_CONFIG, QMPIPE_READY_*, QMPIPE_RUN_DIR).
 */
export function startPrometheus(port?: number, extra: Record<string, string> = {}): string {
  const env = infraEnv({ ...(port === undefined ? {} : { QMPIPE_PROMETHEUS_PORT: String(port), QMPIPE_PROMETHEUS_KEEP: '1' }), ...extra });
  const out = execFileSync('bash', [join(root, 'infra/prometheus/start.sh')], { env, encoding: 'utf8' });
  return /^PROMETHEUS_URL=(.*)$/m.exec(out)![1]!;
}

/** Stops it; `keep` leaves its TSDB for a restart; `extra` as given to startPrometheus. */
export function stopPrometheus(keep = false, extra: Record<string, string> = {}): void {
  const env = infraEnv({ ...(keep ? { QMPIPE_PROMETHEUS_KEEP: '1' } : {}), ...extra });
  execFileSync('bash', [join(root, 'infra/prometheus/stop.sh')], { env, stdio: 'ignore' });
}

export interface PromResult {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

async function api(url: string, path: string, params: Record<string, string>): Promise<PromResult[]> {
  const res = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: PromResult[] } };
  if (body.status !== 'success') throw new Error(`${path} ${params.query}: ${body.error}`);
  return body.data.result;
}

/** An instant query at `t` (epoch ms). */
export function queryAt(url: string, query: string, t: number): Promise<PromResult[]> {
  return api(url, '/api/v1/query', { query, time: String(t / 1000) });
}

/** A range query over [start, end] (epoch ms) every `stepS` seconds. */
export function queryRange(url: string, query: string, start: number, end: number, stepS: number): Promise<PromResult[]> {
  return api(url, '/api/v1/query_range', { query, start: String(start / 1000), end: String(end / 1000), step: String(stepS) });
}

/** The raw samples of a selector within `windowMs` before `t`, as [ms, value] per series. */
export async function rawSamples(url: string, selector: string, t: number, windowMs: number): Promise<PromResult[]> {
  return queryAt(url, `${selector}[${Math.ceil(windowMs / 1000)}s]`, t);
}

/** `promtool check rules` over the expressions (one recording rule each): '' when all parse, else its output. */
export function promtoolParse(exprs: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'qmpipe-promtool-'));
  const file = join(dir, 'exprs.yml');
  const rules = exprs.map((e, i) => `      - record: qmpipe_dashboard_expr_${i}\n        expr: ${JSON.stringify(e)}`).join('\n');
  writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
  try {
    execFileSync(PROMTOOL_BIN, ['check', 'rules', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return '';
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
}
