/**
 * One Rollup row: what every kind of row (series, chain, records) has, every aggregate
 * absent (null) unless the row's kind gives it. The field order is the row's (replay
 * prints rows as JSON): `values` only fills fields, never reorders them.
 */
import type { Rollup, RollupKind } from '#schemas/outputs.js';

export interface RollupRowKey {
  resolutionMs: number;
  windowStart: number;
  vm: { name: string; uuid: string; host: string };
  series: string;
  type: RollupKind;
  unit: string;
  count: number;
}

type Aggregates = Omit<Rollup, 'kind' | 'resolutionMs' | 'windowStart' | 'vm' | 'vmUuid' | 'series' | 'type' | 'unit' | 'count' | 'host'>;

export function rollupRow(key: RollupRowKey, values: Partial<Aggregates>): Rollup {
  return {
    kind: 'rollup',
    resolutionMs: key.resolutionMs,
    windowStart: key.windowStart,
    vm: key.vm.name,
    vmUuid: key.vm.uuid,
    series: key.series,
    type: key.type,
    unit: key.unit,
    count: key.count,
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
    ...values,
    host: key.vm.host,
  };
}
