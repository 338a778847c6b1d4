/**
 * What the core emits. Every output is derived from record times only, in record
 * order, so a run split at any record boundary (and resumed from a checkpoint)
 * emits exactly what one long run emits.
 */
import type { Alert, Rate, Rollup } from '#schemas/outputs.js';

export interface StepOutputs {
  rates: Rate[];
  alerts: Alert[];
  rollups: Rollup[];
  /** Rollup rows left out: their window had been closed by the watermark before (watermark.ts). */
  lateRollups: number;
  /** Records the clocks refused (clock/admission.ts), by position in the step's input. */
  refused: RefusedRecord[];
}

export interface RefusedRecord {
  /** The record's position in the records given to this step (0-based). */
  index: number;
  code: 'CLOCK_AHEAD' | 'CLOCK_BEHIND';
  reason: string;
}

export function emptyOutputs(): StepOutputs {
  return { rates: [], alerts: [], rollups: [], lateRollups: 0, refused: [] };
}
