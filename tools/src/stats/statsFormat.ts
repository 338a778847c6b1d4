/**
 * Stat lines → text for people, pure: HMP `info stats`'s layout (an instance header, then
 * `name (type, unit): value`), with the unit's base and exponent applied as QEMU's HMP
 * does (an SI prefix for base 10 and exponents that are multiples of 3, an IEC prefix for
 * base 2 and multiples of 10, else `* base^exponent`), and histograms drawn as bucket bars
 * with each bucket's range (Linux's KVM histogram buckets: docs/qmp-notes.md).
 */
import { linearLower, log2Lower } from '#processor/core/stats/histogram.js';
import type { StatLineView } from './statLines.js';

const SI: ReadonlyMap<number, string> = new Map([
  [-18, 'a'],
  [-15, 'f'],
  [-12, 'p'],
  [-9, 'n'],
  [-6, 'u'],
  [-3, 'm'],
  [0, ''],
  [3, 'k'],
  [6, 'M'],
  [9, 'G'],
  [12, 'T'],
  [15, 'P'],
  [18, 'E'],
]);
const IEC: ReadonlyMap<number, string> = new Map([
  [0, ''],
  [10, 'Ki'],
  [20, 'Mi'],
  [30, 'Gi'],
  [40, 'Ti'],
  [50, 'Pi'],
  [60, 'Ei'],
]);
const SHORT_UNIT: ReadonlyMap<string, string> = new Map([
  ['seconds', 's'],
  ['bytes', 'B'],
]);

/** The unit as HMP writes it: `ns`, `KiB`, `cycles`, `* 10^-4 seconds`, or '' without one. */
export function unitLabel(l: Pick<StatLineView, 'unit' | 'base' | 'exponent'>): string {
  const short = l.unit === null ? undefined : SHORT_UNIT.get(l.unit);
  const prefix = short === undefined ? undefined : l.base === 10 ? SI.get(l.exponent) : l.base === 2 ? IEC.get(l.exponent) : l.exponent === 0 ? '' : undefined;
  if (short !== undefined && prefix !== undefined) return prefix + short;
  const scale = l.exponent !== 0 ? `* ${l.base}^${l.exponent}` : '';
  return [scale, l.unit ?? ''].filter(Boolean).join(' ');
}

function header(l: StatLineView): string {
  if (l.target !== 'vcpu') return `${l.target} (provider: ${l.provider})`;
  return `vcpu ${l.instance}${l.cpu === null ? '' : ` (cpu ${l.cpu}`}${l.cpu === null ? ' (' : ', '}provider: ${l.provider})`;
}

function describe(l: StatLineView): string {
  const unit = unitLabel(l);
  const bucket = l.type === 'linear-histogram' && l.bucketSize !== null ? `, bucket size=${l.bucketSize}` : '';
  return `${l.name} (${l.type}${unit ? `, ${unit}` : ''}${bucket})`;
}

function rangeLabel(lower: readonly number[], i: number): string {
  return i === lower.length - 1 ? `[${lower[i]}, +inf)` : `[${lower[i]}, ${lower[i + 1]})`;
}

/** One bar per non-empty bucket, scaled to the fullest; `empty` when every count is 0. */
export function histogramBars(l: StatLineView, counts: readonly number[], width = 40): string[] {
  const lower = l.type === 'linear-histogram' && l.bucketSize !== null ? linearLower(counts.length, l.bucketSize) : log2Lower(counts.length);
  const max = Math.max(0, ...counts);
  if (max === 0) return ['        (empty)'];
  const labels = counts.map((_, i) => rangeLabel(lower, i));
  const pad = Math.max(...labels.filter((_, i) => counts[i]! > 0).map((s) => s.length));
  const out: string[] = [];
  counts.forEach((c, i) => {
    if (c === 0) return;
    const bar = '#'.repeat(Math.max(1, Math.round((c / max) * width)));
    out.push(`        ${labels[i]!.padEnd(pad)} ${bar} ${c}`);
  });
  return out;
}

/** The text of `qmpipe stats`: one block per instance (target, vCPU), its stats indented. */
export function formatStats(lines: readonly StatLineView[]): string {
  const out: string[] = [];
  let current = '';
  for (const l of lines) {
    const h = header(l);
    if (h !== current) {
      if (out.length > 0) out.push('');
      out.push(h);
      current = h;
    }
    if (Array.isArray(l.value)) {
      out.push(`    ${describe(l)}: ${l.value.length} buckets, ${l.value.reduce((a, b) => a + b, 0)} counted`);
      out.push(...histogramBars(l, l.value));
    } else {
      out.push(`    ${describe(l)}: ${typeof l.value === 'boolean' ? (l.value ? 'yes' : 'no') : l.value}`);
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
