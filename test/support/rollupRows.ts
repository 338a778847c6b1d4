/** Builds core Rollup rows for tests of the rollup stage (the core's own row builder, test defaults). */
import { rollupRow as coreRow } from '#processor/core/rollup/rollupRow.js';
import type { Rollup } from '#schemas/outputs.js';

export function rollupRow(p: Partial<Rollup> & Pick<Rollup, 'windowStart' | 'series'>): Rollup {
  const {
    kind: _kind,
    windowStart,
    series,
    resolutionMs = 60_000,
    vm = 'vm1',
    vmUuid = 'u1',
    type = 'gauge',
    unit = 'bytes',
    count = 1,
    host = 'h1',
    ...values
  } = p;
  return coreRow({ resolutionMs, windowStart, vm: { name: vm, uuid: vmUuid, host: host ?? 'h1' }, series, type, unit, count }, values);
}
