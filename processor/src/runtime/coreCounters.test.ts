import { describe, expect, it } from 'vitest';
import { createLogger } from '#common/log.js';
import { initialState } from '../core/state/state.js';
import { initialPartitionState } from '../partition/partitionStep.js';
import { CoreCounterExport } from './coreCounters.js';
import { processorTelemetry } from './telemetry.js';

describe("the core's counters on /metrics", () => {
  it('every counter of the state, by partition and name, with late rollup rows; a drop is logged once', () => {
    const t = processorTelemetry();
    const lines: string[] = [];
    const x = new CoreCounterExport(t, createLogger({}, { write: (l) => lines.push(l) }));
    const st = initialPartitionState('raw', 2);
    st.core.counters.seriesOverflow = 7;
    st.core.counters.clockAhead = 1;
    st.rollups.late = 3;
    x.report(st);
    st.core.counters.seriesOverflow = 9;
    x.report(st);
    const text = t.registry.render();
    for (const counter of [...Object.keys(initialState().counters), 'lateRollupRows']) {
      expect(text, counter).toMatch(new RegExp(`processor_core_counter\\{(counter="${counter}",partition="2"|partition="2",counter="${counter}")\\} \\d+`));
    }
    expect(text).toMatch(/processor_core_counter\{[^}]*counter="seriesOverflow"[^}]*\} 9/);
    const logged = lines.map((l) => JSON.parse(l) as { counter: string });
    expect(logged.map((l) => l.counter).sort()).toEqual(['clockAhead', 'lateRollupRows', 'seriesOverflow']);
  });
});
