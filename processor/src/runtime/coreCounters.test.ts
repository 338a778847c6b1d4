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

  it("each host's measured clock offset, by partition and host, while the state holds the host", () => {
    const t = processorTelemetry();
    const x = new CoreCounterExport(t, createLogger({}, { write: () => {} }));
    const st = initialPartitionState('raw', 1);
    const skew = (host: string, estimate: number) => ({ host, bucket: 0, maxima: [estimate], estimate, applied: estimate, lastAppendT: 0, alerts: {} });
    st.core.skews = [skew('host-a', 120_000), skew('host-b', -90_500)];
    x.report(st);
    expect(t.hostClockSkew.value({ partition: '1', host: 'host-a' })).toBe(120);
    expect(t.hostClockSkew.value({ partition: '1', host: 'host-b' })).toBe(-90.5);
    st.core.skews = [skew('host-b', -1_000)];
    x.report(st);
    expect(t.registry.render()).not.toMatch(/host="host-a"/);
    expect(t.registry.render()).toMatch(/processor_host_clock_skew_seconds\{[^}]*host="host-b"[^}]*\} -1\b/);
  });
});
