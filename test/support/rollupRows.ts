/** Builds core Rollup rows for tests of the rollup stage. */
import type { Rollup } from '#schemas/outputs.js';

export function rollupRow(p: Partial<Rollup> & Pick<Rollup, 'windowStart' | 'series'>): Rollup {
  return {
    kind: 'rollup',
    resolutionMs: 60_000,
    vm: 'vm1',
    vmUuid: 'u1',
    type: 'gauge',
    unit: 'bytes',
    count: 1,
    min: null,
    max: null,
    avg: null,
    last: null,
    increase: null,
    meanRate: null,
    peakRate: null,
    resets: null,
    p50: null,
    p90: null,
    p99: null,
    buckets: null,
    maxAllocation: null,
    minFree: null,
    maxGrowth: null,
    physicalEnd: null,
    node: null,
    filename: null,
    ...p,
  };
}
