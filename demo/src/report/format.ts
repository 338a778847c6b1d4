/** Number formatting shared by the live view and the HTML report. Pure. */

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
