/**
 * `qmpipe alerts tail` output, pure: one line per transition.
 *   human: 2026-11-22T01:46:38.917Z FIRING   critical watermark     cap-thin vda[0]  1.003 (threshold 0.95)  vda[0] lv0-format: …
 *   json:  the Avro record (schemas/avro/alert.avsc) as one JSON object
 * Colours (ANSI) only when asked, i.e. when stdout is a terminal and NO_COLOR is unset.
 */
import type { AlertRecord } from '#schemas/codecs/outputs.js';
import { subjectOf } from './alertmanager.js';

export type TailFormat = 'human' | 'json';

export interface FormatOptions {
  color: boolean;
}

const ansi = { red: 31, yellow: 33, green: 32, dim: 2 } as const;

function paint(on: boolean, code: number, text: string): string {
  return on ? `\u001b[${code}m${text}\u001b[0m` : text;
}

/** Compact numbers: integers as they are, |x| ≥ 1000 rounded, else 4 significant digits. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  if (Math.abs(x) >= 1000) return String(Math.round(x));
  return String(Number(x.toPrecision(4)));
}

/** Seconds or minutes, for how long a resolved alert fired: `0.2 s`, `12 min`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${formatNumber(ms / 1000)} s`;
  if (ms < 3_600_000) return `${formatNumber(ms / 60_000)} min`;
  return `${formatNumber(ms / 3_600_000)} h`;
}

const TYPE_WIDTH = 'improbable-allocation'.length;

export function formatHuman(a: AlertRecord, opts: FormatOptions): string {
  const time = paint(opts.color, ansi.dim, new Date(a.t).toISOString());
  const firing = a.state === 'firing';
  const stateCode = firing ? (a.severity === 'critical' ? ansi.red : ansi.yellow) : ansi.green;
  const state = paint(opts.color, stateCode, (firing ? 'FIRING' : 'RESOLVED').padEnd(8));
  const severity = a.severity.padEnd(8);
  const type = a.type.padEnd(TYPE_WIDTH);
  let value = `${formatNumber(a.value)} (threshold ${formatNumber(a.threshold)})`;
  if (!firing && a.endsAt !== null) value += ` after ${formatDuration(a.endsAt - a.startsAt)}`;
  return `${time} ${state} ${severity} ${type} ${subjectOf(a)}  ${value}  ${a.message}`;
}

export function formatJson(a: AlertRecord): string {
  return JSON.stringify(a);
}

export function formatAlert(a: AlertRecord, format: TailFormat, opts: FormatOptions): string {
  return format === 'json' ? formatJson(a) : formatHuman(a, opts);
}
