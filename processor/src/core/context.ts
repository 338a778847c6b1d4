/**
 * The CoreContext: config and derived, rebuildable data for one core instance.
 * Nothing here is state: a context rebuilt after a restore behaves identically.
 */
import type { AlertType, ProcessorConfig } from '#schemas/config/processor.js';
import type { StatsSchemaSnapshot } from '#schemas/types.js';
import { BLOCK_LAYOUT, fixedLayout } from './series/fixedLayouts.js';
import { fitsLayout, type Layout } from './series/layout.js';
import { filled, type SeriesBlock } from './series/seriesBlock.js';
import type { VmState } from './state/state.js';
import { buildStatsLayout, descriptorsOf } from './stats/statsLayout.js';
import { alertRouting, type AlertRouting } from './alerts/routing.js';

export interface CoreOptions {
  /** Build a Rate per derived value (replay, rates topic). Off, the core only accumulates rollups and alerts. */
  emitRates?: boolean;
  /**
   * With emitRates: also build a Point per counter (its raw cumulative value) and per chain
   * gauge (with its node) for a metrics store (outputs.ts).
   */
  emitPoints?: boolean;
}

export interface CoreContext {
  config: ProcessorConfig;
  emitRates: boolean;
  emitPoints: boolean;
  resolutions: readonly number[];
  disabled: ReadonlySet<AlertType>;
  /** Runbook and static labels of every alert (alerts.routing). */
  routing: AlertRouting;
  /** Stats layouts by snapshot hash|provider|target; variants for other value shapes. */
  layouts: Map<string, Layout[]>;
  /** Per-slot deltas of the block being folded. */
  scratch: Float64Array;
  /** Reused array of one device's counters (fixedLayouts.blockValues). */
  blockValues: number[];
  /**
   * One shared instance per distinct string kept in state (QOM paths, node and device
   * names repeat across VMs): comparing a record's fresh string with a shared, hot
   * instance stays in cache, unlike one stored copy per VM.
   */
  strings: Map<string, string>;
  /** Per-VM bindings of results to blocks (vmCache); weak, so evicted VMs' go with them. */
  vmCaches: WeakMap<VmState, VmCache>;
}

/** A cached StatsResult position → block binding (derived; rebuilt on any mismatch). */
export interface StatsSlot {
  provider: string;
  target: string;
  qomPath: string | null;
  key: string;
  layout: Layout;
  block: SeriesBlock;
}

export function createContext(config: ProcessorConfig, opts: CoreOptions = {}): CoreContext {
  return {
    config,
    emitRates: opts.emitRates ?? false,
    emitPoints: (opts.emitRates ?? false) && (opts.emitPoints ?? false),
    resolutions: config.rollup.resolutionsMs,
    disabled: new Set(config.alerts.disabled),
    routing: alertRouting(config.alerts.routing),
    layouts: new Map(),
    scratch: new Float64Array(1024),
    strings: new Map(),
    blockValues: filled(BLOCK_LAYOUT.length, -1),
    vmCaches: new WeakMap(),
  };
}

/**
 * Per-VM bindings of the last sample's results to their blocks, by position, so the
 * hot path builds no key and hashes no string. Derived data, kept beside the state
 * (ctx.vmCaches, by VmState object) so the state stays plain JSON; a restored state
 * has new VmState objects, whose bindings are rebuilt on their first sample.
 */
export interface VmCache {
  /** Interned schema hash the stats bindings were made under ('' none). */
  statsHash: string;
  stats: StatsSlot[];
  devs: Array<{ dev: string; block: SeriesBlock }>;
}

export function vmCache(ctx: CoreContext, vm: VmState): VmCache {
  let c = ctx.vmCaches.get(vm);
  if (!c) {
    c = { statsHash: '', stats: [], devs: [] };
    ctx.vmCaches.set(vm, c);
  }
  return c;
}

/** Forgets a VM's bindings (a block was dropped or replaced). */
export function clearVmCache(ctx: CoreContext, vm: VmState): void {
  const c = ctx.vmCaches.get(vm);
  if (c) {
    c.statsHash = '';
    c.stats = [];
    c.devs = [];
  }
}

/** The shared instance of s (the table is bounded: it is only a cache). */
export function intern(ctx: CoreContext, s: string): string {
  const v = ctx.strings.get(s);
  if (v !== undefined) return v;
  if (ctx.strings.size >= 100_000) ctx.strings.clear();
  ctx.strings.set(s, s);
  return s;
}

/** A scratch array of at least n slots. */
export function scratchFor(ctx: CoreContext, n: number): Float64Array {
  if (ctx.scratch.length < n) ctx.scratch = new Float64Array(Math.max(n, ctx.scratch.length * 2));
  return ctx.scratch;
}

/**
 * The layout of one StatsResult's values under a snapshot, from the cache when the
 * shape fits. Null when the snapshot has no schema for (provider, target) or the
 * values do not fit it.
 */
export function statsLayoutFor(ctx: CoreContext, snapshot: StatsSchemaSnapshot, provider: string, target: string, values: readonly number[]): Layout | null {
  const key = `${snapshot.hash}|${provider}|${target}`;
  let variants = ctx.layouts.get(key);
  if (variants) {
    for (const l of variants) if (fitsLayout(l, values)) return l;
  } else {
    variants = [];
    ctx.layouts.set(key, variants);
  }
  const descriptors = descriptorsOf(snapshot, provider, target);
  if (!descriptors) return null;
  const layout = buildStatsLayout(key, descriptors, values);
  if (layout) variants.push(layout);
  return layout;
}

/**
 * The layout of an existing block: fixed for block and net counters; for stats,
 * rebuilt from the snapshot and the block's previous values, which have the shape
 * of the values they came from (layout ids name the shape, so a rebuilt layout is
 * the same layout). Undefined when the snapshot is gone.
 */
export function layoutOfBlock(ctx: CoreContext, snapshots: Record<string, StatsSchemaSnapshot>, id: string, prev: readonly number[]): Layout | undefined {
  const fixed = fixedLayout(id);
  if (fixed) return fixed;
  const [hash, provider, target] = id.split('|') as [string, string, string];
  const snapshot = snapshots[hash];
  if (!snapshot) return undefined;
  const l = statsLayoutFor(ctx, snapshot, provider, target, prev);
  return l?.id === id ? l : undefined;
}
