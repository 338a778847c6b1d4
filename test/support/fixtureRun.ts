/**
 * For the report tests: the processor core (with rates) run over a recorded
 * transcript, its outputs folded into a DemoState in record order, exactly as the
 * demo's shell folds what it reads from the alerts and rates topics.
 */
import { fixturePath } from './fixtures.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import type { Alert, Rate } from '#schemas/outputs.js';
import { initialState } from '#processor/core/state/state.js';
import { createCore } from '#processor/core/step.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { applyAlert, applyRate, initialDemoState, type DemoState } from '#demo/report/demoState.js';

export interface FixtureRun {
  state: DemoState;
  rates: Rate[];
  alerts: Alert[];
}

export function runFixture(name = 'thin-lv-enospc-commit.jsonl'): FixtureRun {
  const { records } = transcriptRecords(fixturePath('qmp', name));
  const core = createCore(defaultProcessorConfig(), { emitRates: true });
  const cs = initialState();
  let state = initialDemoState();
  const rates: Rate[] = [];
  const alerts: Alert[] = [];
  for (const rec of records) {
    const { outputs } = core.step(cs, [rec]);
    for (const r of outputs.rates) state = applyRate(state, r);
    for (const a of outputs.alerts) state = applyAlert(state, a);
    rates.push(...outputs.rates);
    alerts.push(...outputs.alerts);
  }
  return { state, rates, alerts };
}
