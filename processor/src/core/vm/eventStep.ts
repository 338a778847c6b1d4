/** Routes a QmpEvent record to the run-state, threshold and job handlers. */
import type { QmpEvent } from '#schemas/types.js';
import { pauseOnNospace, resumed, stopped, thresholdCrossed } from '../alerts/vmAlerts.js';
import type { CoreContext } from '../context.js';
import { parseEvent } from './events.js';
import { jobEnded, jobErrored, jobStatusChanged } from './jobs.js';
import type { StepOutputs } from '../outputs.js';
import type { CoreState, VmState } from '../state/state.js';

export function stepEvent(state: CoreState, vm: VmState, e: QmpEvent, t: number, ctx: CoreContext, out: StepOutputs): void {
  const ev = parseEvent(e.event, e.data);
  if (ev === 'malformed') {
    state.counters.malformedEvents++;
    return;
  }
  if (ev === null) return;
  const us = e.qemuTimeUs;
  switch (ev.event) {
    case 'BLOCK_IO_ERROR':
      return pauseOnNospace(ctx, vm, ev, t, us, out.alerts);
    case 'STOP':
      return stopped(vm, t, us);
    case 'RESUME':
      return resumed(vm, t, us, out.alerts);
    case 'SHUTDOWN':
      vm.shutdown = true;
      return;
    case 'BLOCK_WRITE_THRESHOLD':
      return thresholdCrossed(ctx, vm, ev, t, out.alerts);
    case 'BLOCK_JOB_ERROR':
      return jobErrored(ctx, vm, ev, t, out.alerts);
    case 'BLOCK_JOB_END':
      return jobEnded(ctx, vm, ev, t, out.alerts);
    case 'JOB_STATUS_CHANGE':
      return jobStatusChanged(vm, ev.job, ev.status, t, out.alerts);
    case 'BLOCK_JOB_READY': {
      const j = vm.jobs[ev.job];
      if (j) j.type = ev.type;
      return;
    }
  }
}
