/**
 * Records → TopState through the processor core: what the `--socket` and `--replay`
 * sources share. Each record goes through `core.step` (rates and alerts, exactly as
 * the processor computes them, `emitRates` on) and then into the view state with the
 * core's outputs. Pure apart from updating both states in place.
 */
import type { ProcessorConfig } from '#schemas/config/processor.js';
import type { RawRecord } from '#schemas/types.js';
import { initialState, type CoreState } from '#processor/core/state/state.js';
import { createCore, type ProcessorCore } from '#processor/core/step.js';
import { applyAlert, applyRate, applyRecord, initialTopState, type TopState } from './topState.js';

export interface RecordFold {
  readonly core: ProcessorCore;
  readonly coreState: CoreState;
  readonly top: TopState;
}

export function createRecordFold(config: ProcessorConfig): RecordFold {
  return { core: createCore(config, { emitRates: true }), coreState: initialState(), top: initialTopState() };
}

export function foldRecord(f: RecordFold, rec: RawRecord): void {
  const { outputs } = f.core.step(f.coreState, [rec]);
  applyRecord(f.top, rec);
  for (const r of outputs.rates) applyRate(f.top, r);
  for (const a of outputs.alerts) applyAlert(f.top, a);
}
