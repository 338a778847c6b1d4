/** Number and text formatting for terminal views (`qmpipe top`, the demo's live view and HTML report). Pure. */

const MiB = 1024 * 1024;

/** 61234567 → "58.4" (MiB, one decimal). */
export function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}

/** bytes/s → "8.0 MiB/s", "512 KiB/s", "0 B/s". */
export function rate(bytesPerSecond: number | null): string {
  if (bytesPerSecond === null || !Number.isFinite(bytesPerSecond)) return '—';
  const v = Math.max(0, bytesPerSecond);
  if (v >= MiB) return `${(v / MiB).toFixed(1)} MiB/s`;
  if (v >= 1024) return `${Math.round(v / 1024)} KiB/s`;
  return `${Math.round(v)} B/s`;
}

/** Seconds → "4.2 s", "75 s", "3m05s", "2h10m". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const s = Math.max(0, seconds);
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 100) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Event time relative to an origin: "t+12.3s". */
export function rel(t: number, origin: number | null): string {
  if (origin === null) return 't+?';
  return `t+${((t - origin) / 1000).toFixed(1)}s`;
}

/** Wall-clock time of day, UTC, to a tenth of a second: "01:46:28.8Z". */
export function clock(t: number): string {
  return `${new Date(t).toISOString().slice(11, 21)}Z`;
}

/** Cuts a string to `width` characters with an ellipsis. */
export function clip(s: string, width: number): string {
  if (width <= 0) return '';
  return s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`;
}

/** Columns and rows → an aligned plain-text table (header, rule, rows). */
export function textTable(columns: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`;
}

/** bytes → "812 B", "4.0 KiB", "58.4 MiB", "1.2 GiB". */
export function bytes(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '—';
  const v = Math.abs(n);
  const sign = n < 0 ? '-' : '';
  if (v >= 1024 * MiB) return `${sign}${(v / (1024 * MiB)).toFixed(1)} GiB`;
  if (v >= MiB) return `${sign}${(v / MiB).toFixed(1)} MiB`;
  if (v >= 1024) return `${sign}${(v / 1024).toFixed(1)} KiB`;
  return `${sign}${Math.round(v)} B`;
}

/** A count or rate: "0", "12", "3.4k", "1.2M"; "—" for none. */
export function count(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '—';
  const v = Math.abs(n);
  if (v >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  if (v >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return v >= 10 || v === 0 ? n.toFixed(0) : n.toFixed(1);
}

/** A value in seconds for humans: "850 ns", "12 µs", "3.4 ms", "1.20 s". */
export function seconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '—';
  if (s === 0) return '0';
  if (s < 1e-6) return `${Math.round(s * 1e9)} ns`;
  if (s < 1e-3) return `${(s * 1e6).toFixed(s < 1e-5 ? 1 : 0)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(s < 1e-2 ? 1 : 0)} ms`;
  return `${s.toFixed(2)} s`;
}

/** A ratio as a percentage: 0.853 → "85%"; "—" for none. */
export function percent(r: number | null): string {
  return r === null || !Number.isFinite(r) ? '—' : `${Math.round(r * 100)}%`;
}

/** `[#######.....] 61% 58.0/96.0 MiB`; the bar is full (and the percentage above 100) when allocation exceeds physical. */
export function bar(allocation: number | null, physical: number | null, width = 24): string {
  if (allocation === null || physical === null || physical <= 0)
    return `[${'?'.repeat(width)}]   ?% ${allocation === null ? '?' : mib(allocation)}/${physical === null ? '?' : mib(physical)} MiB`;
  const ratio = allocation / physical;
  const filled = Math.max(0, Math.min(width, Math.round(ratio * width)));
  const pct = `${Math.round(ratio * 100)}%`.padStart(4);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct} ${mib(allocation)}/${mib(physical)} MiB`;
}
