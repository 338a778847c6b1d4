/**
 * Rules over one backing-chain element (docs/qmp-notes.md §5, §7), each returning an
 * Observation, or null when the rule does not apply to the element:
 * - watermark: qcow2 on a block device only (a file-backed image's free space belongs
 *   to its filesystem). Limit form free < (100−percent)%·chunk (VDSM), ratio form
 *   allocation/physical ≥ 80 % / 95 %; `auto` uses the ratio for devices < 1 chunk.
 * - time-to-full: free / smoothed growth below k × the extend latency.
 * - improbable-allocation: allocation > physical + margin or > capacity × 1.1
 *   (a data-quality flag: never act on it; VDSM pauses the VM here).
 * - commit-growth: during a block job, a backing element (index ≥ 1) on a block
 *   device grows toward its physical size.
 * Messages are thunks: built only when an alert transitions. A rule returns null
 * when nothing fires and nothing was firing (no allocation on the common path).
 */
import type { ProcessorConfig } from '#schemas/config/processor.js';
import { CRITICAL, NONE, WARNING, type Level, type Observation } from './machine.js';
import { fmtBytes, fmtSeconds, levelAbove, levelBelow } from './levels.js';

const MiB = 1024 * 1024;

/** One chain element as the rules see it after a sample. */
export interface ChainView {
  dev: string;
  backingIndex: number;
  /** The image's identity (raise.ts imageOf): its filename, else its format node. */
  image: string;
  formatNode: string;
  formatDriver: string;
  storageDriver: string | null;
  /** Highest host offset written (null when the node has no storage-level watermark). */
  allocation: number | null;
  capacity: number | null;
  /** Device length as the host sees it (or actual-size for files); null when unknown. */
  physical: number | null;
  /** physical − allocation, block devices only. */
  free: number | null;
  /** Smoothed growth, bytes/s. */
  growth: number | null;
  t: number;
}

type Alerts = ProcessorConfig['alerts'];

/** Whether the element is a thin volume whose free space the processor can judge. */
export function isThinBlock(v: ChainView): boolean {
  return v.formatDriver === 'qcow2' && v.storageDriver === 'host_device' && v.free !== null && v.allocation !== null && v.physical !== null && v.physical > 0;
}

function where(v: ChainView): string {
  return `${v.dev}[${v.backingIndex}] ${v.formatNode}`;
}

function usage(v: ChainView): string {
  const pct = ((v.allocation! / v.physical!) * 100).toFixed(1);
  return `${where(v)}: ${fmtBytes(v.allocation!)} of ${fmtBytes(v.physical!)} physical allocated (${pct} %), ${fmtBytes(v.free!)} free`;
}

export function watermark(v: ChainView, cur: Level, cfg: Alerts['watermark']): Observation | null {
  if (!isThinBlock(v)) return null;
  const physical = v.physical!;
  const chunk = cfg.chunkMiB * MiB;
  const mode = cfg.mode === 'auto' ? (physical < chunk ? 'ratio' : 'limit') : cfg.mode;
  if (mode === 'ratio') {
    const r = v.allocation! / physical;
    const level = levelAbove(r, cfg.warningRatio, cfg.criticalRatio, cfg.hysteresisRatio, cur);
    if (level === NONE && cur === NONE) return null;
    const threshold = level === CRITICAL ? cfg.criticalRatio : cfg.warningRatio;
    const message = () => (level === NONE ? `${usage(v)}, below the watermark` : `${usage(v)} ≥ ${threshold * 100} % watermark: extend the volume`);
    return { level, value: r, threshold, message };
  }
  const limit = ((100 - cfg.utilizationPercent) * chunk) / 100;
  const crit = cfg.criticalFreeMiB * MiB;
  const level = levelBelow(v.free!, limit, crit, () => cfg.hysteresisMiB * MiB, cur);
  if (level === NONE && cur === NONE) return null;
  const threshold = level === CRITICAL ? crit : limit;
  const message = () =>
    level === NONE
      ? `${usage(v)}, above the ${fmtBytes(limit)} limit`
      : `${usage(v)} < ${fmtBytes(threshold)}: extend by ${cfg.chunkMiB} MiB (write threshold to arm: ${Math.max(1, physical - limit)})`;
  return { level, value: v.free!, threshold, message };
}

export function timeToFull(v: ChainView, cur: Level, cfg: Alerts['timeToFull']): Observation | null {
  if (!isThinBlock(v)) return null;
  const warn = cfg.warningFactor * cfg.extendLatencySeconds;
  const crit = cfg.criticalFactor * cfg.extendLatencySeconds;
  const growth = v.growth ?? 0;
  if (growth < cfg.minGrowthBytesPerSecond) {
    if (cur === NONE) return null;
    return { level: NONE, value: -1, threshold: warn, message: () => `${where(v)}: not growing (time-to-full -1 = never)` };
  }
  const ttf = Math.max(0, v.free!) / growth;
  const level = levelBelow(ttf, warn, crit, (h) => h * (cfg.clearFactor - 1), cur);
  if (level === NONE && cur === NONE) return null;
  const eta = v.t + Math.round(ttf * 1000);
  const threshold = level === CRITICAL ? crit : warn;
  const message = () => `${where(v)}: ${fmtBytes(v.free!)} free at ${fmtBytes(growth)}/s: full in ${fmtSeconds(ttf)} (ETA ${new Date(eta).toISOString()})`;
  return { level, value: ttf, threshold, message, eta };
}

export function improbableAllocation(v: ChainView, cur: Level, cfg: Alerts['improbable'], chunkMiB: number): Observation | null {
  if (v.allocation === null) return null;
  const allocation = v.allocation;
  const overPhysical = v.physical !== null && v.physical > 0 ? v.physical + (cfg.marginMiB ?? chunkMiB) * MiB : Infinity;
  const overCapacity = v.capacity !== null && v.capacity > 0 ? v.capacity * cfg.capacityFactor : Infinity;
  const threshold = Math.min(overPhysical, overCapacity);
  const level: Level = allocation > threshold ? WARNING : NONE;
  if (level === NONE && cur === NONE) return null;
  const message = () =>
    level === NONE
      ? `${where(v)}: allocation ${fmtBytes(allocation)} plausible again`
      : `${where(v)}: allocation ${fmtBytes(allocation)} is beyond ${allocation > overPhysical ? 'physical + margin' : `capacity × ${cfg.capacityFactor}`} (${fmtBytes(threshold)}): data-quality flag, do not act on it`;
  return { level, value: allocation, threshold: Number.isFinite(threshold) ? threshold : 0, message };
}

/** Remaining bytes of the running block jobs, and their ids (for commit-growth). */
export interface JobsView {
  ids: string[];
  remaining: number;
}

export function commitGrowth(v: ChainView, cur: Level, jobs: JobsView | null, cfg: Alerts['commitGrowth'], ttfCfg: Alerts['timeToFull']): Observation | null {
  if (v.backingIndex < 1 || v.free === null || v.physical === null) return null;
  const growth = v.growth ?? 0;
  if (!jobs || growth <= cfg.minGrowthBytesPerSecond) {
    if (cur === NONE) return null;
    return {
      level: NONE,
      value: growth,
      threshold: cfg.minGrowthBytesPerSecond,
      message: () => `${where(v)}: ${jobs ? 'stopped growing' : 'block job ended'}`,
    };
  }
  const free = v.free;
  const ttf = Math.max(0, free) / growth;
  const eta = v.t + Math.round(ttf * 1000);
  const short = jobs.remaining > free || ttf < ttfCfg.warningFactor * ttfCfg.extendLatencySeconds;
  const message = () =>
    `${where(v)}: backing image grows at ${fmtBytes(growth)}/s during block job ${jobs.ids.join(',')}: ` +
    `${fmtBytes(free)} free of ${fmtBytes(v.physical!)}, full in ${fmtSeconds(ttf)}; the job has up to ${fmtBytes(jobs.remaining)} left to copy` +
    (short ? ': extend the base before it runs out' : '');
  return { level: short ? CRITICAL : WARNING, value: growth, threshold: cfg.minGrowthBytesPerSecond, message, eta };
}
