/** Routes a QmpEvent record to the run-state, threshold and job handlers. */
import type { QmpEvent } from '#schemas/types.js';
import { pauseOnNospace, resumed, stopped, thresholdCrossed } from '../alerts/vmAlerts.js';
import type { RecordScope } from '../scope.js';
import { parseEvent } from './events.js';
import { jobEnded, jobErrored, jobStatusChanged } from './jobs.js';

export function stepEvent(scope: RecordScope, e: QmpEvent): void {
  const ev = parseEvent(e.event, e.data);
  if (ev === 'malformed') {
    scope.state.counters.malformedEvents++;
    return;
  }
  if (ev === null) return;
  const us = e.qemuTimeUs;
  switch (ev.event) {
    case 'BLOCK_IO_ERROR':
      return pauseOnNospace(scope, ev, us);
    case 'STOP':
      return stopped(scope, us);
    case 'RESUME':
      return resumed(scope, us);
    case 'SHUTDOWN':
      scope.vm.shutdown = true;
      return;
    case 'BLOCK_WRITE_THRESHOLD':
      return thresholdCrossed(scope, ev);
    case 'BLOCK_JOB_ERROR':
      return jobErrored(scope, ev);
    case 'BLOCK_JOB_END':
      return jobEnded(scope, ev);
    case 'JOB_STATUS_CHANGE':
      return jobStatusChanged(scope, ev.job, ev.status);
    case 'BLOCK_JOB_READY': {
      const j = scope.vm.jobs[ev.job];
      if (j) j.type = ev.type;
      return;
    }
  }
}
