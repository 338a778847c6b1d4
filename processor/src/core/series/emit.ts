/**
 * Builds Rate outputs from a folded block (only when the context emits rates):
 * counters as per-second rates of their unit, gauges as values, histograms as the
 * p50/p90/p99 of this interval's bucket deltas, scaled to their unit.
 */
import { LATENCIES } from './fixedLayouts.js';
import { QUANTILES, bucketQuantile } from '../stats/histogram.js';
import { rateUnit, type Layout, type SlotGroup } from './layout.js';
import type { Rate } from '#schemas/outputs.js';
import type { Point } from '../outputs.js';
import { RESET_DELTA } from './counterRules.js';
import type { SeriesBlock } from './seriesBlock.js';

/** The VM a Rate belongs to (a VmState is one). */
export interface VmRef {
  readonly name: string;
  readonly uuid: string;
  readonly host: string;
}

export function rate(t: number, vm: VmRef, series: string, value: number, unit: string): Rate {
  return { kind: 'rate', t, vm: vm.name, vmUuid: vm.uuid, series, value, unit, host: vm.host };
}

export function point(t: number, vm: VmRef, series: string, value: number, unit: string, type: Point['type'], node: string | null, reset: boolean): Point {
  return { t, vm: vm.name, vmUuid: vm.uuid, host: vm.host, series, value, unit, type, node, reset };
}

function histogramRates(g: SlotGroup, deltas: Float64Array, prefix: string, t: number, vm: VmRef, out: Rate[]): void {
  for (let i = 0; i < g.size; i++) if (deltas[g.offset + i]! < 0) return; // no interval for this histogram
  for (const [name, q] of QUANTILES) {
    const v = bucketQuantile(g.lower!, deltas, g.offset, q);
    if (v !== null) out.push(rate(t, vm, `${prefix}.${name}`, v * g.scale, g.unit));
  }
}

/**
 * Rates and gauges of one block after foldValues (deltas still in the scratch array);
 * with `points`, each counter's raw cumulative value too (the value just folded).
 */
export function emitBlockRates(
  block: SeriesBlock,
  layout: Layout,
  deltas: Float64Array,
  dtMs: number,
  t: number,
  vm: VmRef,
  out: Rate[],
  points: Point[] | null = null,
): void {
  for (const g of layout.groups) {
    const prefix = `${block.label}.${g.name}`;
    if (g.type === 'counter') {
      const d = deltas[g.offset]!;
      if (d >= 0) out.push(rate(t, vm, prefix, ((d * 1000) / dtMs) * g.scale, rateUnit(g.unit)));
      const raw = block.prevPeak[2 * g.offset]!;
      if (points !== null && raw >= 0) points.push(point(t, vm, prefix, raw * g.scale, g.unit, 'counter', null, d === RESET_DELTA));
    } else if (g.type === 'gauge') {
      const v = block.prevPeak[2 * g.offset]!;
      if (v >= 0) out.push(rate(t, vm, prefix, v * g.scale, g.unit));
    } else {
      histogramRates(g, deltas, prefix, t, vm, out);
    }
  }
}

/** Average latency per operation of a block device: Δtotal_time_ns / Δops, only when Δops > 0. */
export function emitLatencies(label: string, deltas: Float64Array, t: number, vm: VmRef, out: Rate[]): void {
  for (const [name, timeSlot, opsSlot] of LATENCIES) {
    const ops = deltas[opsSlot]!;
    const ns = deltas[timeSlot]!;
    if (ops > 0 && ns >= 0) out.push(rate(t, vm, `${label}.${name}`, (ns / ops) * 1e-9, 'seconds'));
  }
}
