/**
 * The cardinality caps: a partition holds at most state.maxSeries series and one VM at
 * most state.maxSeriesPerVm of them, so a VM with thousands of disks cannot take the
 * partition's room. A block takes its layout's series, a backing-chain element one.
 * What a cap refuses is counted (seriesOverflow) and its series are not followed.
 */
import type { RecordScope } from '../scope.js';

/**
 * Takes `n` series for the scope's VM within the partition's cap and the VM's share
 * (state.maxSeries, state.maxSeriesPerVm); refused, they are counted (seriesOverflow).
 */
export function admitSeries(scope: RecordScope, n: number): boolean {
  const { state, vm, ctx } = scope;
  if (state.series + n > ctx.config.state.maxSeries || vm.series + n > ctx.config.state.maxSeriesPerVm) {
    state.counters.seriesOverflow += n;
    return false;
  }
  vm.series += n;
  state.series += n;
  return true;
}

/** Gives back `n` series of the scope's VM. */
export function releaseSeries(scope: RecordScope, n: number): void {
  scope.vm.series -= n;
  scope.state.series -= n;
}
