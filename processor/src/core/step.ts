/**
 * `step(state, records, ctx) -> { state, outputs }`: the processor core. Pure
 * apart from updating `state` in place (it is returned; keep an old state only as a
 * checkpoint). No I/O, no clock: time comes from the records. Records of one VM
 * must arrive in order (they share a partition); VMs may interleave.
 *
 * Determinism: everything, including the stale/TTL sweep and closing windows by the
 * watermark, is driven record by record by record times, so splitting the input into
 * batches at any point, and resuming from a checkpoint, gives the same outputs as one
 * long run.
 */
import type { RawRecord } from '#schemas/types.js';
import { createContext, type CoreContext, type CoreOptions } from './context.js';
import { stepEvent } from './vm/eventStep.js';
import { emptyOutputs, type StepOutputs } from './outputs.js';
import { stepSample } from './vm/sampleStep.js';
import { newVm, type CoreState, type VmState } from './state/state.js';
import { evictVm, sweep } from './state/sweep.js';
import { closeByWatermark, dropLateRows } from './rollup/watermark.js';
import { refusal } from './clock/admission.js';
import { noteHost, watermarkBoundary } from './clock/hosts.js';
import { judgeHostTime, type ClockSample } from './clock/skew.js';
import { resetInstance } from './vm/instance.js';
import { stepSequence } from './vm/sequence.js';
import type { ProcessorConfig } from '#schemas/config/processor.js';

export interface StepResult {
  state: CoreState;
  outputs: StepOutputs;
}

export interface StepOptions {
  /**
   * The rollup buffer's allowed lateness (ms; the partition step passes its own).
   * Given, every series' windows also close once the partition's clock passes their
   * end by this much, input or not, and rows for a window that had closed so are left
   * out and counted (watermark.ts). Omitted (replay), a window closes on its series'
   * next sample in a later window, on eviction, or on flush.
   */
  allowedLatenessMs?: number;
  /**
   * For the record at each position of the input, the agent's send time (its clock) and the
   * broker's append time of its message (the raw topic's LogAppendTime): each host's clock is
   * measured by them and its records are judged in true time (clock/skew.ts). Undefined for a
   * record (an older agent's message) or omitted (replay of one transcript): record times as stamped.
   */
  clockSample?: (index: number) => ClockSample | undefined;
}

/** `known`: `state.vms[rec.vm.uuid]`, looked up by the caller. */
function vmOf(state: CoreState, rec: RawRecord, known: VmState | undefined, ctx: CoreContext, out: StepOutputs): VmState {
  const id = rec.vm;
  let vm = known;
  if (!vm) {
    vm = newVm(id.host, id.name, id.uuid, id.instanceId);
    state.vms[id.uuid] = vm;
  } else if (vm.instanceId !== id.instanceId) {
    resetInstance({ state, vm, t: rec.t, ctx, out }, id.instanceId);
  }
  // Assign only on change: each record's strings would otherwise be kept (and promoted) by the VM state.
  if (vm.host !== id.host) vm.host = id.host;
  if (vm.name !== id.name) vm.name = id.name;
  return vm;
}

/**
 * `lateness` < 0: no closing by the watermark. A record whose time the clocks refuse
 * (clock/skew.ts, clock/admission.ts) changes nothing but a counter and `out.refused`.
 */
function stepRecord(
  state: CoreState,
  rec: RawRecord,
  index: number,
  ctx: CoreContext,
  out: StepOutputs,
  lateness: number,
  sample: ClockSample | undefined,
): void {
  if (sample !== undefined) {
    const t = judgeHostTime(state, rec, sample, ctx, out.alerts);
    if (typeof t !== 'number') {
      state.counters.clockSkew++;
      out.refused.push({ index, ...t });
      return;
    }
    if (t !== rec.t) rec = { ...rec, t };
  }
  const known = state.vms[rec.vm.uuid];
  const refused = refusal(state, rec, known, ctx.config.clock);
  if (refused) {
    if (refused.code === 'CLOCK_AHEAD') state.counters.clockAhead++;
    else state.counters.clockBehind++;
    out.refused.push({ index, ...refused });
    return;
  }
  state.counters.records++;
  const before = lateness >= 0 ? watermarkBoundary(state, ctx, lateness) : 0;
  const mark = out.rollups.length;
  if (rec.t > state.clock) state.clock = rec.t;
  let closed = before;
  // The VM's own copy of its host's name has its hash computed already: the record's is fresh.
  const host = known !== undefined && known.host === rec.vm.host ? known.host : rec.vm.host;
  if (noteHost(state, ctx, host, rec.t, lateness)) {
    closed = watermarkBoundary(state, ctx, lateness);
    closeByWatermark(state, ctx, before, closed, out);
  }
  let vm = known;
  if (state.clock >= state.nextSweep) {
    sweep(state, ctx, out, lateness, rec.vm.host);
    vm = state.vms[rec.vm.uuid]; // the sweep may have evicted it
    // Hosts found lagging no longer hold the watermark back.
    if (lateness >= 0) closeByWatermark(state, ctx, closed, watermarkBoundary(state, ctx, lateness), out);
  }
  const body = rec.body;
  if (body.kind === 'StatsSchemaSnapshot') {
    state.snapshots[body.value.hash] ??= body.value;
  }
  vm = vmOf(state, rec, vm, ctx, out);
  if (rec.t > vm.lastRecordT) vm.lastRecordT = rec.t;
  const scope = { state, vm, t: rec.t, ctx, out };
  if (body.kind === 'Sample') stepSample(scope, body.value);
  else if (body.kind === 'QmpEvent') stepEvent(scope, body.value);
  else if (body.kind === 'StatsSchemaSnapshot') vm.schemaHash = body.value.hash;
  stepSequence(scope, rec.runId, rec.seq);
  if (lateness >= 0 && out.rollups.length > mark) out.lateRollups += dropLateRows(out.rollups, mark, before);
}

export function step(state: CoreState, records: Iterable<RawRecord>, ctx: CoreContext, opts?: StepOptions): StepResult {
  const outputs = emptyOutputs();
  const lateness = opts?.allowedLatenessMs ?? -1;
  const clockSample = opts?.clockSample;
  let index = 0;
  for (const rec of records) {
    stepRecord(state, rec, index, ctx, outputs, lateness, clockSample?.(index));
    index++;
  }
  return { state, outputs };
}

/** End of input (a replay, a shutdown flush): closes every open window. Alerts stay as they are. */
export function flush(state: CoreState, ctx: CoreContext): StepOutputs {
  const out = emptyOutputs();
  for (const uuid of Object.keys(state.vms).sort()) evictVm(state, state.vms[uuid]!, ctx, out, { keep: true });
  return out;
}

/** A core bound to one config: what shells use. */
export interface ProcessorCore {
  readonly ctx: CoreContext;
  step(state: CoreState, records: Iterable<RawRecord>, opts?: StepOptions): StepResult;
  flush(state: CoreState): StepOutputs;
}

export function createCore(config: ProcessorConfig, opts: CoreOptions = {}): ProcessorCore {
  const ctx = createContext(config, opts);
  return { ctx, step: (s, r, o) => step(s, r, ctx, o), flush: (s) => flush(s, ctx) };
}
