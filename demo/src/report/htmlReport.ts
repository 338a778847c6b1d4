/**
 * The demo's report: one self-contained HTML page (inline CSS and SVG, no scripts,
 * no external resources). Pure: DemoState + what the shell found on S3 → a string.
 *
 * Per VM and disk, an SVG chart of each backing-chain element's allocation (solid)
 * and physical size (dashed) over event time, with a vertical mark and label at
 * every alert transition (red/orange: firing critical/warning, green: resolved).
 * Below: the alert transitions, the operator's notes, the Parquet objects and the
 * query run over them.
 */
import { historyKey, type AlertMark, type DemoState, type ElementPoint } from './demoState.js';
import { duration, rel } from '#top/view/format.js';

export interface QueryResult {
  sql: string;
  columns: string[];
  rows: string[][];
}

export interface ReportInput {
  title: string;
  /** Wall-clock ms. */
  generatedAt: number;
  startedAt: number;
  state: DemoState;
  /** Label/value pairs shown at the top (mode, VM, time to first alert, …). */
  facts: ReadonlyArray<readonly [string, string]>;
  bucket: string;
  objects: ReadonlyArray<{ key: string; size: number }>;
  query: QueryResult | { sql: string; error: string } | null;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b'];
const MiB = 1024 * 1024;

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

interface Frame {
  tMin: number;
  tMax: number;
  yMax: number;
  W: number;
  H: number;
  L: number;
  R: number;
  T: number;
  B: number;
}

const xOf = (f: Frame, t: number) => f.L + ((t - f.tMin) / (f.tMax - f.tMin)) * (f.W - f.L - f.R);
const yOf = (f: Frame, v: number) => f.H - f.B - (v / f.yMax) * (f.H - f.T - f.B);

/** An SVG path through the points; a gap of more than `gapMs` (or a null) starts a new segment. */
export function pathOf(f: Frame, pts: readonly ElementPoint[], field: 'allocation' | 'physical', gapMs = 5_000): string {
  let d = '';
  let prevT: number | null = null;
  for (const p of pts) {
    const v = p[field];
    if (v === null) {
      prevT = null;
      continue;
    }
    const cmd = prevT === null || p.t - prevT > gapMs ? 'M' : 'L';
    d += `${cmd}${xOf(f, p.t).toFixed(1)},${yOf(f, v).toFixed(1)} `;
    prevT = p.t;
  }
  return d.trim();
}

function niceStep(span: number, ticks: number): number {
  const raw = span / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
}

function axes(f: Frame, origin: number): string {
  const out: string[] = [];
  const yStep = niceStep(f.yMax / MiB, 5);
  for (let v = 0; v <= f.yMax / MiB + 1e-9; v += yStep) {
    const y = yOf(f, v * MiB).toFixed(1);
    out.push(`<line x1="${f.L}" x2="${f.W - f.R}" y1="${y}" y2="${y}" class="grid"/><text x="${f.L - 6}" y="${y}" class="ylab">${+v.toFixed(1)} MiB</text>`);
  }
  const xStep = niceStep((f.tMax - f.tMin) / 1000, 8) * 1000;
  for (let t = origin + Math.ceil((f.tMin - origin) / xStep) * xStep; t <= f.tMax; t += xStep) {
    const x = xOf(f, t).toFixed(1);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${f.T}" y2="${f.H - f.B}" class="grid"/><text x="${x}" y="${f.H - f.B + 16}" class="xlab">${esc(rel(t, origin))}</text>`,
    );
  }
  return out.join('');
}

function markColor(m: AlertMark): string {
  if (m.state === 'resolved') return '#2a9d2a';
  return m.severity === 'critical' ? '#c62828' : '#e69500';
}

const label = (m: AlertMark) => `${m.state === 'firing' ? '▲' : '▼'} ${m.type} ${m.target.split(' ')[0] ?? ''}`;
const LABEL_CHAR_PX = 5.6;

/**
 * Rows for the mark labels, so they do not overlap: each label (in time order) goes to
 * the first row whose previous label ends left of it; a label that would run past the
 * right edge is anchored at its end instead. Returns, per mark, its row and anchor.
 */
export function layoutLabels(xs: readonly number[], widths: readonly number[], right: number): Array<{ row: number; end: boolean }> {
  const rowEnds: number[] = [];
  return xs.map((x, i) => {
    const w = widths[i]!;
    const end = x + 2 + w > right;
    const [from, to] = end ? [x - 2 - w, x] : [x, x + 2 + w];
    let row = rowEnds.findIndex((e) => e + 6 <= from);
    if (row < 0) row = rowEnds.length;
    rowEnds[row] = to;
    return { row, end };
  });
}

function marksSvg(f: Frame, marks: readonly AlertMark[], rows: ReadonlyArray<{ row: number; end: boolean }>): string {
  return marks
    .map((m, i) => {
      const x = xOf(f, m.t);
      const { row, end } = rows[i]!;
      const ly = f.T - 8 - row * 12;
      return (
        `<g class="mark"><title>${esc(`${m.state} ${m.severity} ${m.type} ${m.target}: ${m.message}`)}</title>` +
        `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${ly + 2}" y2="${f.H - f.B}" stroke="${markColor(m)}" stroke-width="1.2" stroke-dasharray="3 2"/>` +
        `<text x="${(end ? x - 2 : x + 2).toFixed(1)}" y="${ly}" fill="${markColor(m)}" class="mlab"${end ? ' text-anchor="end"' : ''}>${esc(label(m))}</text></g>`
      );
    })
    .join('');
}

/** The SVG chart of one VM's disk. `series` by backing index. */
export function chartSvg(
  title: string,
  series: ReadonlyArray<{ index: number; points: readonly ElementPoint[] }>,
  marks: readonly AlertMark[],
  origin: number,
): string {
  const ts = [...series.flatMap((s) => s.points.map((p) => p.t)), ...marks.map((m) => m.t)];
  const vs = series.flatMap((s) => s.points.flatMap((p) => [p.allocation ?? 0, p.physical ?? 0]));
  const tMin = Math.min(...ts);
  const tMax = Math.max(...ts, tMin + 1000);
  const sorted = [...marks].sort((a, b) => a.t - b.t);
  const base = { tMin, tMax, yMax: Math.max(MiB, ...vs) * 1.08, W: 960, L: 78, R: 20, B: 34 };
  const probe: Frame = { ...base, H: 300, T: 0 };
  const rows = layoutLabels(
    sorted.map((m) => xOf(probe, m.t)),
    sorted.map((m) => label(m).length * LABEL_CHAR_PX),
    base.W - 2,
  );
  const T = 36 + 12 * (Math.max(0, ...rows.map((r) => r.row)) + 1);
  const f: Frame = { ...base, T, H: T + 290 };
  const lines = series
    .map((s) => {
      const c = COLORS[s.index % COLORS.length]!;
      return (
        `<path d="${pathOf(f, s.points, 'physical')}" stroke="${c}" stroke-width="1.5" stroke-dasharray="6 4" fill="none"/>` +
        `<path d="${pathOf(f, s.points, 'allocation')}" stroke="${c}" stroke-width="2.2" fill="none"/>`
      );
    })
    .join('');
  const legend = series
    .map((s, i) => {
      const c = COLORS[s.index % COLORS.length]!;
      const x = f.L + i * 250;
      return (
        `<line x1="${x}" x2="${x + 22}" y1="12" y2="12" stroke="${c}" stroke-width="2.2"/><line x1="${x + 26}" x2="${x + 48}" y1="12" y2="12" stroke="${c}" stroke-width="1.5" stroke-dasharray="6 4"/>` +
        `<text x="${x + 54}" y="16" class="leg">[${s.index}] allocation / physical</text>`
      );
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.W} ${f.H}" width="${f.W}" height="${f.H}" role="img" aria-label="${esc(title)}">` +
    `<rect x="0" y="0" width="${f.W}" height="${f.H}" fill="#fff"/>${axes(f, origin)}${lines}${marksSvg(f, sorted, rows)}${legend}` +
    `<line x1="${f.L}" x2="${f.L}" y1="${f.T}" y2="${f.H - f.B}" class="axis"/><line x1="${f.L}" x2="${f.W - f.R}" y1="${f.H - f.B}" y2="${f.H - f.B}" class="axis"/></svg>`
  );
}

function charts(s: DemoState, origin: number): string {
  const out: string[] = [];
  for (const v of Object.values(s.vms).sort((a, b) => a.vm.localeCompare(b.vm))) {
    for (const d of Object.values(v.devices).sort((a, b) => a.dev.localeCompare(b.dev))) {
      const series = Object.keys(d.chain)
        .map(Number)
        .sort((a, b) => a - b)
        .map((index) => ({ index, points: s.history[historyKey(v.vm, d.dev, index)] ?? [] }))
        .filter((x) => x.points.length > 0);
      if (series.length === 0) continue;
      const marks = s.transitions.filter((m) => m.vm === v.vm && (m.target === '' || m.target.startsWith(d.dev)));
      out.push(`<h2>${esc(v.vm)} · ${esc(d.dev)}: backing chain allocation and physical size</h2>${chartSvg(`${v.vm} ${d.dev}`, series, marks, origin)}`);
    }
  }
  return out.join('\n') || '<p>No allocation samples were received.</p>';
}

function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

function alertTable(s: DemoState, origin: number): string {
  if (s.transitions.length === 0) return '<p>No alerts.</p>';
  return table(
    ['time', 'state', 'severity', 'type', 'VM', 'target', 'message'],
    s.transitions.map((m) => [
      m.state === 'resolved' ? `${rel(m.t, origin)} (after ${duration((m.t - m.startsAt) / 1000)})` : rel(m.t, origin),
      m.state,
      m.severity,
      m.type,
      m.vm,
      m.target,
      m.message,
    ]),
  );
}

function querySection(q: ReportInput['query']): string {
  if (q === null) return '<p>No query was run.</p>';
  const sql = `<pre>${esc(q.sql)}</pre>`;
  return 'error' in q ? `${sql}<p class="err">${esc(q.error)}</p>` : `${sql}${table(q.columns, q.rows)}`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}
h1{font-size:22px}h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;font-size:12.5px;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}th{background:#f4f4f4}
pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}.err{color:#c62828}
svg .grid{stroke:#eee}svg .axis{stroke:#888}svg text{font:11px system-ui,sans-serif}svg .ylab{text-anchor:end;dominant-baseline:middle;fill:#555}
svg .xlab{text-anchor:middle;fill:#555}svg .mlab{font-size:10px}svg .leg{fill:#333}`;

export function renderHtmlReport(r: ReportInput): string {
  const s = r.state;
  const origin = s.firstT ?? r.startedAt;
  const facts = table(
    ['', ''],
    r.facts.map(([k, v]) => [k, v]),
  );
  const notes = s.notes.length
    ? `<ul>${s.notes.map((n) => `<li>+${((n.at - r.startedAt) / 1000).toFixed(1)} s: ${esc(n.text)}</li>`).join('')}</ul>`
    : '<p>None.</p>';
  const objects = r.objects.length
    ? table(
        ['key', 'bytes'],
        r.objects.map((o) => [o.key, String(o.size)]),
      )
    : '<p>No objects.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(r.title)}</h1>
<p>Generated ${esc(new Date(r.generatedAt).toISOString())}. Times are event times relative to the first record (${esc(new Date(origin).toISOString())}).</p>
${facts}
${charts(s, origin)}
<h2>Alert transitions (${s.transitions.length})</h2>
${alertTable(s, origin)}
<h2>Operator</h2>
${notes}
<h2>Parquet rollups in s3://${esc(r.bucket)} (${r.objects.length})</h2>
${objects}
<h2>Query over the rollups</h2>
${querySection(r.query)}
</body></html>
`;
}
