/**
 * The scope of one record's step: what every function below `step()` works in. step.ts
 * builds one per record, so a function takes the scope and what is its own (a device,
 * a block, an event) instead of the same five positional parameters. Sweeps and
 * window closing by the watermark build one per VM they visit, at the partition's clock.
 */
import type { CoreContext } from './context.js';
import type { StepOutputs } from './outputs.js';
import type { CoreState, VmState } from './state/state.js';

export interface RecordScope {
  /** The partition's state. */
  readonly state: CoreState;
  /** The VM the record is about. */
  readonly vm: VmState;
  /** The record's time (the agent's sample time), or the partition's clock for sweeps. */
  readonly t: number;
  /** Config and derived, rebuildable caches. */
  readonly ctx: CoreContext;
  /** Where rates, alert transitions and rollup rows go. */
  readonly out: StepOutputs;
}
