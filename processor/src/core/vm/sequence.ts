/**
 * A VM's record sequence: the agent numbers each VM's records 0, 1, 2, ... per run (one
 * poll loop, `runId` random per agent start; agent/src/poller/recordStream.ts), so what
 * went missing between agent and core (a memory tier lost with a killed agent, a segment
 * or record dead-lettered, a bug) shows as a seq skipped within a run. Per VM the core keeps
 * the run and the highest seq seen of it, and judges each admitted record:
 *
 *   nothing known yet (a new VM, a state restored from an older checkpoint) → taken as is, never a gap
 *   another run                                → `agentRuns` (a restart: its seq from 0 is no gap)
 *   seq > last + 1 in the same run             → `recordsMissing` += seq − last − 1
 *   seq ≤ last in the same run                 → `recordsDuplicate` (re-sent or out of order; still processed)
 *
 * An agent without run ids (before them) numbers from 0 at each start and cannot say so: a
 * seq below the last is taken as a new run there (a re-sent batch then counts as one too).
 * Records the clocks refused, or the partition step dead-lettered, never reach the VM
 * and count as missing as well as under their own counters.
 *
 * Per VM and window, one rollup row (series `records`, type `records`): `count` the records
 * that came, `increase` those missing, `resets` the new runs. The windows fold every
 * record and close like a chain element's: on the VM's first record in a later window, by
 * the watermark, on eviction or flush.
 */
import { rollupRow } from '../rollup/rollupRow.js';
import type { Rollup } from '#schemas/outputs.js';
import { windowStart } from '../rollup/rollup.js';
import type { RecordScope } from '../scope.js';
import type { RecordWindow, SeqState, VmState } from '../state/state.js';

/** The series of a VM's records rows. */
export const RECORDS_SERIES = 'records';

function row(w: RecordWindow, res: number, vm: VmState): Rollup {
  return rollupRow(
    { resolutionMs: res, windowStart: w.start, vm, series: RECORDS_SERIES, type: 'records', unit: 'records', count: w.records },
    { increase: w.missing, resets: w.runs },
  );
}

function clear(w: RecordWindow, start: number): void {
  w.start = start;
  w.records = 0;
  w.missing = 0;
  w.runs = 0;
}

/** Judges the record's (run, seq) against the VM's sequence; returns [missing, new runs]. */
function judge(scope: RecordScope, s: SeqState, run: string, seq: number): [number, number] {
  const counters = scope.state.counters;
  const known = s.last >= 0;
  if (known && run === s.run && (run !== '' || seq >= s.last)) {
    if (seq <= s.last) {
      counters.recordsDuplicate++;
      return [0, 0];
    }
    const missing = seq - s.last - 1;
    counters.recordsMissing += missing;
    s.last = seq;
    return [missing, 0];
  }
  if (known) counters.agentRuns++;
  if (s.run !== run) s.run = run;
  s.last = seq;
  return [0, known ? 1 : 0];
}

/** Steps one admitted record of the VM: its seq judged, counted in every resolution's window. */
export function stepSequence(scope: RecordScope, runId: string | undefined, seq: number): void {
  const s = scope.vm.seq;
  const [missing, runs] = judge(scope, s, runId ?? '', seq);
  const { t } = scope;
  const resolutions = scope.ctx.resolutions;
  for (let r = 0; r < resolutions.length; r++) {
    const res = resolutions[r]!;
    let w = s.win[r];
    if (w === undefined) {
      w = { start: -1, records: 0, missing: 0, runs: 0 };
      s.win[r] = w;
    }
    if (w.start < 0 || t >= w.start + res) {
      if (w.start >= 0 && w.records > 0) scope.out.rollups.push(row(w, res, scope.vm));
      clear(w, windowStart(t, res));
    }
    w.records++;
    w.missing += missing;
    w.runs += runs;
  }
}

/** Closes the VM's record windows that end at or before `until` (every one without `until`: eviction, flush). */
export function closeSequenceWindows(scope: RecordScope, until = Number.POSITIVE_INFINITY): void {
  const resolutions = scope.ctx.resolutions;
  const win = scope.vm.seq.win;
  for (let r = 0; r < win.length; r++) {
    const res = resolutions[r]!;
    const w = win[r]!;
    if (w.start < 0 || w.start + res > until) continue;
    if (w.records > 0) scope.out.rollups.push(row(w, res, scope.vm));
    clear(w, -1);
  }
}
