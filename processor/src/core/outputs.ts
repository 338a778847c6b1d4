/**
 * What the core emits. Every output is derived from record times only, in record
 * order, so a run split at any record boundary (and resumed from a checkpoint)
 * emits exactly what one long run emits.
 */
import type { Alert, Rate, Rollup } from '#schemas/outputs.js';
import type { Refusal } from './clock/admission.js';

/**
 * A value for a metrics store (CoreOptions.emitPoints; the Prometheus remote-write sink):
 * a counter as its raw cumulative value in its unit (QEMU's own count: it continues across
 * an agent restart and restarts with QEMU), or a backing-chain gauge with its node.
 */
export interface Point {
  t: number;
  vm: string;
  vmUuid: string;
  host: string;
  /** The Rate vocabulary: block.vda.wr.bytes, block.vda.1.allocation. */
  series: string;
  value: number;
  unit: string;
  type: 'counter' | 'gauge';
  /** Chain elements: the format node at this position; null otherwise. */
  node: string | null;
  /** Counters: the core counted a reset of this series at this sample (a decrease, or a new QEMU instance). */
  reset: boolean;
}

export interface StepOutputs {
  rates: Rate[];
  /** Only with CoreOptions.emitPoints. */
  points: Point[];
  alerts: Alert[];
  rollups: Rollup[];
  /** Rollup rows left out: their window had been closed by the watermark before (watermark.ts). */
  lateRollups: number;
  /** Records the clocks refused (clock/admission.ts, clock/skew.ts), by position in the step's input. */
  refused: RefusedRecord[];
}

export interface RefusedRecord {
  /** The record's position in the records given to this step (0-based). */
  index: number;
  code: Refusal['code'];
  reason: string;
}

export function emptyOutputs(): StepOutputs {
  return { rates: [], points: [], alerts: [], rollups: [], lateRollups: 0, refused: [] };
}

/**
 * Appends one step's rates, points, alerts and rollups (and its count of late rows) to
 * `into`, in order. Refusals are not appended: their index is into the step's own input.
 */
export function appendOutputs(into: StepOutputs, from: StepOutputs): void {
  if (from.rates.length > 0) into.rates.push(...from.rates);
  if (from.points.length > 0) into.points.push(...from.points);
  if (from.alerts.length > 0) into.alerts.push(...from.alerts);
  if (from.rollups.length > 0) into.rollups.push(...from.rollups);
  into.lateRollups += from.lateRollups;
}
