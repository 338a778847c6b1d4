/**
 * A small Prometheus registry (text exposition format 0.0.4) and its HTTP server.
 * Counters, gauges and fixed-bucket histograms with labels; no dependencies.
 * Telemetry is a fixed list of named metrics declared by each app, never one log
 * line per sample. Reusable by the processor.
 */
import { HEALTHY, type Health } from './health.js';
import { createServer, type Server } from 'node:http';

type Labels = Record<string, string>;

interface Series {
  labels: Labels;
  value: number;
  buckets?: number[];
  sum?: number;
  count?: number;
}

abstract class Metric {
  protected readonly series = new Map<string, Series>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}

  protected get(labels: Labels): Series {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = this.fresh(labels);
      this.series.set(key, s);
    }
    return s;
  }

  protected fresh(labels: Labels): Series {
    return { labels, value: 0 };
  }

  /** Forgets one labelled series (e.g. a VM that vanished). */
  remove(labels: Labels): void {
    this.series.delete(labelKey(labels));
  }

  render(): string {
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.series.values()) out.push(...this.lines(s));
    return out.join('\n');
  }

  protected lines(s: Series): string[] {
    return [`${this.name}${fmtLabels(s.labels)} ${fmtNum(s.value)}`];
  }
}

export class Counter extends Metric {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new RangeError(`counter ${this.name} cannot decrease`);
    this.get(labels).value += by;
  }
  /** A bound incrementer for one label set, for hot paths. */
  child(labels: Labels): (by?: number) => void {
    const s = this.get(labels);
    return (by = 1) => {
      if (by < 0) throw new RangeError(`counter ${this.name} cannot decrease`);
      s.value += by;
    };
  }
  value(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.value ?? 0;
  }
}

export class Gauge extends Metric {
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
  set(labels: Labels, v: number): void {
    this.get(labels).value = v;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.get(labels).value += by;
  }
  value(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.value ?? 0;
  }
}

export class Histogram extends Metric {
  constructor(
    name: string,
    help: string,
    readonly bounds: readonly number[],
  ) {
    super(name, help, 'histogram');
  }
  protected override fresh(labels: Labels): Series {
    return { labels, value: 0, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
  }
  observe(labels: Labels, v: number): void {
    this.record(this.get(labels), v);
  }
  /** A bound observer for one label set, for hot paths (no label lookup per call). */
  child(labels: Labels): (v: number) => void {
    const s = this.get(labels);
    return (v) => this.record(s, v);
  }
  private record(s: Series, v: number): void {
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]!) s.buckets![i]!++;
    s.sum! += v;
    s.count!++;
  }
  count(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.count ?? 0;
  }
  protected override lines(s: Series): string[] {
    const out = this.bounds.map((b, i) => `${this.name}_bucket${fmtLabels({ ...s.labels, le: fmtNum(b) })} ${s.buckets![i]}`);
    out.push(`${this.name}_bucket${fmtLabels({ ...s.labels, le: '+Inf' })} ${s.count}`);
    out.push(`${this.name}_sum${fmtLabels(s.labels)} ${fmtNum(s.sum!)}`);
    out.push(`${this.name}_count${fmtLabels(s.labels)} ${s.count}`);
    return out;
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric>();

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }
  histogram(name: string, help: string, bounds: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, bounds));
  }

  private add<M extends Metric>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }

  /** The whole registry in Prometheus text format. */
  render(): string {
    return `${[...this.metrics.values()].map((m) => m.render()).join('\n')}\n`;
  }
}

/** Latency buckets in seconds, 0.5 ms … 10 s. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10] as const;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  if (keys.length === 1) return `${keys[0]}\u0000${labels[keys[0]!]}`; // the hot path: {vm} or {command}
  return keys
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
}

function fmtLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${labels[k]!.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',')}}`;
}

function fmtNum(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * `/metrics` (and `/healthz`) over HTTP on host:port; without a registry only `/healthz`:
 * a probe endpoint that names nothing (VM names are metric labels), safe on every
 * interface. `/healthz` answers 200 `ok`, or 503 and the reason `health` gives. Resolves
 * once listening; `port` 0 picks one.
 */
export async function serveMetrics(
  registry: Registry | undefined,
  host: string,
  port: number,
  health: () => Health = () => HEALTHY,
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (registry && req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(registry.render());
    } else if (req.method === 'GET' && req.url === '/healthz') {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(h.ok ? 'ok\n' : `unhealthy: ${h.reason}\n`);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as { port: number }).port;
  return { server, port: actual, close: () => new Promise<void>((r) => server.close(() => r())) };
}
