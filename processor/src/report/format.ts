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

/** Cuts a string to `width` characters with an ellipsis. */
export function clip(s: string, width: number): string {
  if (width <= 0) return '';
  return s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`;
}
