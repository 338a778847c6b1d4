/**
 * Every lost record is counted downstream too: the thin-LV capture through the partition
 * step, with records removed from the middle of one agent run (lost between agent and
 * processor), restarted under a new run, re-sent. The missing count is exact, on
 * /metrics (processor_core_counter{counter="recordsMissing"}) and in the VM's `records`
 * rollup row of the window the gap ends in; an agent restart and a re-send are no gap.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '#common/log.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { decodeRaw, encodeRaw } from '#schemas/codecs/raw.js';
import type { Rollup } from '#schemas/outputs.js';
import type { RawRecord } from '#schemas/types.js';
import { createCore } from '#processor/core/step.js';
import { flushPartition, initialPartitionState, processBatch, type PartitionState } from '#processor/partition/partitionStep.js';
import { CoreCounterExport } from '#processor/runtime/coreCounters.js';
import { processorTelemetry } from '#processor/runtime/telemetry.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { fixturePath } from '../support/fixtures.js';

const thin = transcriptRecords(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records;
const MINUTE = 60_000;

/** The records through the partition step, one per offset, then flushed: the state and every records row. */
function run(records: readonly RawRecord[]): { state: PartitionState; rows: Rollup[] } {
  const env = { core: createCore(defaultProcessorConfig()), decode: decodeRaw, allowedLatenessMs: 10_000 };
  const state = initialPartitionState('raw', 0);
  const messages = records.map((r, i) => ({ offset: i, timestamp: r.t, key: null, value: encodeRaw(r) }));
  const windows = [...processBatch(state, messages, env).outputs.windows, ...flushPartition(state, env)];
  return { state, rows: windows.flatMap((w) => w.rows.filter((r) => r.series === 'records')) };
}

/** Missing records per window of `res`, by window start, from the records rows. */
const missingBy = (rows: Rollup[], res: number) => rows.filter((r) => r.resolutionMs === res).map((r) => [r.windowStart, r.increase]);

function metric(state: PartitionState, counter: string): number {
  const telemetry = processorTelemetry();
  new CoreCounterExport(telemetry, silentLogger).report(state);
  return telemetry.coreCounters.value({ partition: '0', counter });
}

describe('records lost between agent and processor', () => {
  const cut = 30;
  const lossy = [...thin.slice(0, cut), ...thin.slice(cut + 5)];
  const whole = run(thin);
  const lost = run(lossy);
  const gapWindow = lossy[cut]!.t - (lossy[cut]!.t % MINUTE);

  it('the capture as sent: nothing missing, a records row per window with every record', () => {
    expect(thin.map((r) => r.seq)).toEqual(thin.map((_, i) => i + 1)); // one run, no gap
    expect(whole.state.core.counters.recordsMissing).toBe(0);
    expect(metric(whole.state, 'recordsMissing')).toBe(0);
    const minutes = whole.rows.filter((r) => r.resolutionMs === MINUTE);
    expect(minutes.length).toBeGreaterThan(1);
    expect(minutes.map((r) => r.increase)).toEqual(minutes.map(() => 0));
    expect(minutes.reduce((n, r) => n + r.count, 0)).toBe(thin.length);
  });

  it('5 records removed from the middle: exactly 5 missing, on /metrics and in the window the gap ends in', () => {
    expect(lost.state.core.counters.recordsMissing).toBe(5);
    expect(lost.state.core.counters.recordsDuplicate).toBe(0);
    expect(lost.state.core.counters.agentRuns).toBe(0);
    expect(metric(lost.state, 'recordsMissing')).toBe(5);
    const minutes = missingBy(lost.rows, MINUTE);
    expect(minutes.filter(([start]) => start === gapWindow)).toEqual([[gapWindow, 5]]);
    expect(minutes.reduce((n, [, m]) => n + m!, 0)).toBe(5);
    expect(missingBy(lost.rows, 3_600_000).map(([, m]) => m)).toEqual([5]);
    const row = lost.rows.find((r) => r.resolutionMs === MINUTE && r.windowStart === gapWindow)!;
    expect([row.vm, row.type, row.unit, row.resets]).toEqual(['cap-thin', 'records', 'records', 0]);
  });

  it('an agent restart (a new run, seq from 0) is no gap: counted as a run', () => {
    const restarted = thin.map((r, i) => (i < cut ? { ...r, runId: 'run-a' } : { ...r, runId: 'run-b', seq: i - cut }));
    const { state, rows } = run(restarted);
    expect(state.core.counters.recordsMissing).toBe(0);
    expect(state.core.counters.recordsDuplicate).toBe(0);
    expect(state.core.counters.agentRuns).toBe(1);
    expect(rows.filter((r) => r.resolutionMs === 3_600_000).map((r) => [r.increase, r.resets, r.count])).toEqual([[0, 1, thin.length]]);
  });

  it('a gap within the new run still counts; a re-sent batch counts as duplicates, not as a gap', () => {
    const b = thin.slice(cut).map((r, i) => ({ ...r, runId: 'run-b', seq: i }));
    const resent = [...thin.slice(0, cut).map((r) => ({ ...r, runId: 'run-a' })), ...b.slice(0, 10), ...b.slice(6, 10), ...b.slice(13)];
    const { state } = run(resent);
    expect(state.core.counters.recordsMissing).toBe(3);
    expect(state.core.counters.recordsDuplicate).toBe(4);
    expect(state.core.counters.agentRuns).toBe(1);
  });

  it('an agent without run ids restarting (seq back to 0) is a new run, not a gap', () => {
    const restarted = thin.map((r, i) => (i < cut ? r : { ...r, seq: i - cut }));
    const { state } = run(restarted);
    expect([state.core.counters.recordsMissing, state.core.counters.agentRuns]).toEqual([0, 1]);
  });
});
