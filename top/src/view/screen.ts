/**
 * The live screen as text: Frame + Ui → lines, fitted to the terminal. Pure; the
 * shell (terminal.ts) decides when to draw and adds the ANSI around it.
 *
 *   list        one row per VM: host, name, state, vCPU exits/s and halt-poll success,
 *               disk read/write B/s, IOPS and latency per op, net rx/tx, the fullest
 *               backing-chain element (fill, growth, time to full), firing alerts.
 *               Columns that do not fit the width are left out, least useful first.
 *   drill-down  one VM: every vCPU, every disk and chain element (node, filename,
 *               allocation/physical bar, ETA), histogram quantiles, recent QMP
 *               events, firing alerts and alert history, then every query-stats value
 *               as `qmpipe stats` prints it (statsSection.ts).
 */
import type { Frame, Quantiles, VmFrame } from '../model/frame.js';
import { bar, bytes, clip, clock, count, duration, percent, rate, seconds } from './format.js';
import type { SortKey, Ui } from './keys.js';
import { queryStatsLines } from './statsSection.js';

export interface ScreenOptions {
  width: number;
  height: number;
  /** What is watched: "replay thin-lv.jsonl", "2 sockets", "kafka 127.0.0.1:9092". */
  source: string;
}

interface Column {
  title: string;
  width: number;
  /** Lower is kept longer when the terminal is narrow. */
  priority: number;
  right?: boolean;
  cell: (v: VmFrame) => string;
}

function pair(a: string, b: string): string {
  return `${a}/${b}`;
}

function fullest(v: VmFrame): string {
  const f = v.fullest;
  if (!f) return '—';
  const growth = f.growth !== null && f.growth > 0 ? ` +${rate(f.growth)}` : '';
  const ttf = f.timeToFullSeconds === null ? '' : f.timeToFullSeconds === 0 ? ' FULL' : ` ${duration(f.timeToFullSeconds)}`;
  return `${f.device}[${f.backingIndex}] ${percent(f.fill)}${growth}${ttf}`;
}

function alerts(v: VmFrame): string {
  if (v.firing.length === 0) return '';
  const types = [...new Set(v.firing.map((f) => (f.severity === 'critical' ? `${f.type}!` : f.type)))];
  return `${v.firing.length} ${types.join(',')}`;
}

const COLUMNS: Column[] = [
  { title: 'HOST', width: 12, priority: 3, cell: (v) => v.host },
  { title: 'VM', width: 18, priority: 0, cell: (v) => v.vm },
  { title: 'STATE', width: 9, priority: 1, cell: (v) => v.state },
  { title: 'EXITS/s', width: 8, priority: 5, right: true, cell: (v) => count(v.exitsPerSecond) },
  { title: 'HPOLL', width: 5, priority: 8, right: true, cell: (v) => percent(v.haltPollSuccess) },
  { title: 'READ/s', width: 10, priority: 4, right: true, cell: (v) => rate(v.readBytesPerSecond) },
  { title: 'WRITE/s', width: 10, priority: 2, right: true, cell: (v) => rate(v.writeBytesPerSecond) },
  { title: 'IOPS r/w', width: 11, priority: 6, right: true, cell: (v) => pair(count(v.readIops), count(v.writeIops)) },
  { title: 'LAT r/w', width: 15, priority: 7, right: true, cell: (v) => pair(seconds(v.readLatencySeconds), seconds(v.writeLatencySeconds)) },
  { title: 'NET rx/tx', width: 21, priority: 9, right: true, cell: (v) => pair(rate(v.rxBytesPerSecond), rate(v.txBytesPerSecond)) },
  { title: 'FULLEST', width: 30, priority: 1, cell: fullest },
  { title: 'ALERTS', width: 10, priority: 0, cell: alerts },
];

/** The columns that fit `width` (the last one, ALERTS, takes what is left). */
export function fitColumns(width: number): Column[] {
  const keep = new Set<Column>();
  let used = 2; // selection marker
  for (const c of [...COLUMNS].sort((a, b) => a.priority - b.priority)) {
    if (used + c.width + 1 > width && keep.size > 0) break; // strictly by priority: a narrow column never displaces a wider, more useful one
    keep.add(c);
    used += c.width + 1;
  }
  return COLUMNS.filter((c) => keep.has(c));
}

function cellText(c: Column, text: string, last: boolean, rest: number): string {
  const w = last ? Math.max(c.width, rest) : c.width;
  const t = clip(text, w);
  return last ? t : c.right ? t.padStart(w) : t.padEnd(w);
}

function rowText(cols: Column[], cells: string[], width: number): string {
  const fixed = cols.slice(0, -1).reduce((a, c) => a + c.width + 1, 2);
  return cells
    .map((t, i) => cellText(cols[i]!, t, i === cols.length - 1, width - fixed))
    .join(' ')
    .trimEnd();
}

const NUMERIC: Partial<Record<SortKey, (v: VmFrame) => number>> = {
  fill: (v) => v.fullest?.fill ?? -1,
  write: (v) => v.writeBytesPerSecond ?? -1,
  read: (v) => v.readBytesPerSecond ?? -1,
  iops: (v) => (v.readIops ?? 0) + (v.writeIops ?? 0),
  exits: (v) => v.exitsPerSecond ?? -1,
  alerts: (v) => v.firing.filter((f) => f.severity === 'critical').length * 1000 + v.firing.length,
};

/** The list's rows: filtered (host, name, state, alert types contain the filter) and sorted. */
export function visibleVms(frame: Frame, ui: Ui): VmFrame[] {
  const f = ui.filter.toLowerCase();
  const rows = frame.vms.filter((v) => !f || [v.host, v.vm, v.state, ...v.firing.map((a) => a.type)].some((s) => s.toLowerCase().includes(f)));
  const num = NUMERIC[ui.sort];
  const byName = (a: VmFrame, b: VmFrame) => a.host.localeCompare(b.host) || a.vm.localeCompare(b.vm) || a.uuid.localeCompare(b.uuid);
  const cmp = num
    ? (a: VmFrame, b: VmFrame) => num(b) - num(a) || byName(a, b)
    : ui.sort === 'vm'
      ? (a: VmFrame, b: VmFrame) => a.vm.localeCompare(b.vm) || byName(a, b)
      : byName;
  const sorted = rows.sort(cmp);
  return ui.reversed ? sorted.reverse() : sorted;
}

function header(frame: Frame, ui: Ui, o: ScreenOptions, shown: number): string {
  const firing = frame.vms.reduce((n, v) => n + v.firing.length, 0);
  const at = frame.t === null ? 'waiting for the first record' : clock(frame.t);
  const filter = ui.editing !== null ? ` · filter: ${ui.editing}_` : ui.filter ? ` · filter: ${ui.filter}` : '';
  return `qmpipe top · ${o.source} · ${at} · ${shown}/${frame.vms.length} VMs · ${firing} firing · sort ${ui.sort}${ui.reversed ? ' ↑' : ' ↓'}${filter}`;
}

export function renderList(frame: Frame, ui: Ui, o: ScreenOptions): string[] {
  const rows = visibleVms(frame, ui);
  const cols = fitColumns(o.width);
  const selected = ui.selected !== null && rows.some((v) => v.uuid === ui.selected) ? ui.selected : rows[0]?.uuid;
  const body = rows.map(
    (v) =>
      `${v.uuid === selected ? '> ' : '  '}${rowText(
        cols,
        cols.map((c) => c.cell(v)),
        o.width,
      )}`,
  );
  const room = Math.max(1, o.height - 4);
  const at = Math.max(
    0,
    rows.findIndex((v) => v.uuid === selected),
  );
  const first = Math.max(0, Math.min(at - room + 1, rows.length - room));
  const lines = [
    header(frame, ui, o, rows.length),
    `  ${rowText(
      cols,
      cols.map((c) => c.title),
      o.width,
    )}`,
    ...(rows.length ? body.slice(Math.max(0, first), Math.max(0, first) + room) : ['  (no VM yet)']),
  ];
  while (lines.length < o.height - 1) lines.push('');
  lines.push('↑↓ select · Enter drill in · s sort · r reverse · / filter · q quit');
  return lines.map((l) => clip(l, o.width));
}

function quantileValue(q: Quantiles, x: number | null): string {
  if (q.unit === 'seconds') return seconds(x);
  if (q.unit === 'bytes') return bytes(x);
  return x === null ? '—' : `${count(x)} ${q.unit}`;
}

function diskLines(v: VmFrame, width: number): string[] {
  const barWidth = width >= 140 ? 24 : 12;
  return v.disks.flatMap((d) => [
    `  ${d.device}  read ${rate(d.readBytesPerSecond)}  write ${rate(d.writeBytesPerSecond)}  IOPS ${pair(count(d.readIops), count(d.writeIops))}  latency ${pair(seconds(d.readLatencySeconds), seconds(d.writeLatencySeconds))}`,
    ...d.chain.map((e) => {
      const ttf = e.timeToFullSeconds === null ? '' : e.timeToFullSeconds === 0 ? '  FULL' : `  full in ${duration(e.timeToFullSeconds)}`;
      const growth = e.growth === null ? '' : `  +${rate(e.growth)}`;
      const free = e.free === null ? '' : `  free ${bytes(e.free)}`;
      return `    [${e.backingIndex}] ${(e.node ?? '?').padEnd(14)} ${bar(e.allocation, e.physical, barWidth)}${free}${growth}${ttf}  ${e.filename ?? ''}`;
    }),
  ]);
}

export function drillLines(v: VmFrame, width: number): string[] {
  const lines = [
    `VM ${v.vm}  host ${v.host}  ${v.state}  uuid ${v.uuid}  last ${clock(v.t)}`,
    `CPU ${percent(v.cpu)}  memory ${bytes(v.memoryBytes)}  rss ${bytes(v.rssBytes)}`,
    '',
    `VCPUS (${v.vcpuCount})  exits ${count(v.exitsPerSecond)}/s  halt-poll success ${percent(v.haltPollSuccess)}`,
    ...v.vcpus.map(
      (c) => `  vcpu ${String(c.vcpu).padEnd(4)} exits ${count(c.exitsPerSecond).padStart(7)}/s  halt-poll ${percent(c.haltPollSuccess).padStart(4)}`,
    ),
    '',
    `DISKS (${v.disks.length})`,
    ...diskLines(v, width),
    '',
    'QUANTILES (this interval)',
    ...(v.quantiles.length
      ? v.quantiles.map(
          (q) =>
            `  ${q.series.padEnd(28)} p50 ${quantileValue(q, q.p50).padStart(9)}  p90 ${quantileValue(q, q.p90).padStart(9)}  p99 ${quantileValue(q, q.p99).padStart(9)}`,
        )
      : ['  none']),
    '',
    `FIRING (${v.firing.length})`,
    ...(v.firing.length ? v.firing.map((f) => `  ${f.severity.padEnd(8)} ${f.type.padEnd(21)} since ${clock(f.since)}  ${f.message}`) : ['  none']),
    '',
    'ALERT HISTORY',
    ...(v.alertHistory.length
      ? v.alertHistory.map((a) => `  ${clock(a.t)} ${a.state.padEnd(8)} ${a.severity.padEnd(8)} ${a.type.padEnd(21)} ${a.target}`)
      : ['  none']),
    '',
    'RECENT QMP EVENTS',
    ...(v.events.length ? v.events.map((e) => `  ${clock(e.t)} ${e.event}`) : ['  none']),
    '',
    ...queryStatsLines(v),
  ];
  return lines.map((l) => clip(l, width));
}

export function renderDrill(frame: Frame, ui: Ui, o: ScreenOptions): string[] {
  const v = frame.vms.find((x) => x.uuid === ui.drill);
  const body = v ? drillLines(v, o.width) : [`VM ${ui.drill} is gone`];
  const room = Math.max(1, o.height - 2);
  const first = Math.min(ui.scroll, Math.max(0, body.length - room));
  const lines = [clip(`qmpipe top · ${o.source} · ${frame.t === null ? '' : clock(frame.t)}`, o.width), ...body.slice(first, first + room)];
  while (lines.length < o.height - 1) lines.push('');
  lines.push('Esc back · ↑↓ scroll · q quit');
  return lines;
}

export function renderScreen(frame: Frame, ui: Ui, o: ScreenOptions): string[] {
  return ui.drill !== null ? renderDrill(frame, ui, o) : renderList(frame, ui, o);
}
