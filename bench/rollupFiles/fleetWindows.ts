/**
 * Rollup windows of a simulated fleet for the rollup-files bench: each VM's rows are the
 * rows the processor core makes of a fixture VM (bench/fleet.ts: 9 in 10 kvm-vcpu-stats,
 * 1 in 10 thin-LV), renamed per VM, with VMs spread over the raw-topic partitions as the
 * agent's uuid key would spread them (VM i on partition i mod P).
 */
import { createCore } from '#processor/core/step.js';
import { initialState } from '#processor/core/state/state.js';
import type { ClosedWindow } from '#processor/partition/rollupBuffer.js';
import { ProcessorConfig } from '#schemas/config/processor.js';
import type { Rollup } from '#schemas/outputs.js';
import { fleet } from '../fleet.js';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const RESOLUTIONS = [MIN, HOUR, DAY] as const;

/** One 1-minute window's rows of each of the ten template VMs (0–8 kvm, 9 thin-LV). */
export function templateRows(): Rollup[][] {
  const core = createCore(ProcessorConfig.parse({}));
  const state = initialState();
  const out = [...core.step(state, [...fleet(10, 40)]).outputs.rollups, ...core.flush(state).rollups];
  const byVm = Array.from({ length: 10 }, (_, i) => out.filter((r) => r.vm === `vm-${i}` && r.resolutionMs === MIN));
  // A VM's first minute: one row per series it has.
  return byVm.map((rows) => rows.filter((r) => r.windowStart === rows[0]!.windowStart));
}

/** The rows of partition `p`'s VMs in one window: template rows renamed, values scaled by `k` (a window's own values). */
export function partitionRows(
  templates: Rollup[][],
  vms: number,
  partitions: number,
  p: number,
  resolutionMs: number,
  windowStart: number,
  k: number,
): Rollup[] {
  const rows: Rollup[] = [];
  const f = (v: number | null) => (v === null ? null : v * (1 + (k % 17) / 10));
  for (let i = p; i < vms; i += partitions) {
    for (const t of templates[i % 10]!) {
      rows.push({
        ...t,
        resolutionMs,
        windowStart,
        vm: `vm-${i}`,
        vmUuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        host: `host-${i % 500}`,
        min: f(t.min),
        max: f(t.max),
        avg: f(t.avg),
        last: f(t.last),
        increase: f(t.increase),
        meanRate: f(t.meanRate),
        peakRate: f(t.peakRate),
      });
    }
  }
  return rows;
}

/** Rows per VM of each template. */
export function rowsPerVm(templates: Rollup[][], vms: number, partitions: number, p: number): number {
  let n = 0;
  for (let i = p; i < vms; i += partitions) n += templates[i % 10]!.length;
  return n;
}

/**
 * A day's windows of one partition in the order the processor publishes them: every
 * minute's window, then, when an hour (or the day) ends, that hour's (or day's) window.
 */
export function* dayWindows(t0: number, hours: number): Generator<{ resolutionMs: number; windowStart: number; k: number }> {
  for (let m = 0; m < hours * 60; m++) {
    yield { resolutionMs: MIN, windowStart: t0 + m * MIN, k: m };
    if ((m + 1) % 60 === 0) yield { resolutionMs: HOUR, windowStart: t0 + (m - 59) * MIN, k: m };
    if ((m + 1) % 1440 === 0) yield { resolutionMs: DAY, windowStart: t0 + (m - 1439) * MIN, k: m };
  }
}

export type Window = ClosedWindow;
