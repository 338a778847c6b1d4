/**
 * Block jobs of a VM, from events (JOB_STATUS_CHANGE, BLOCK_JOB_*) and from
 * query-block-jobs in samples, and the block-job-error alert (critical): a job
 * reported an I/O error (BLOCK_JOB_ERROR) or ended with one (BLOCK_JOB_COMPLETED
 * with `error`), e.g. a commit that ran out of space on its base. It resolves when
 * the job ends without an error of its own (cancelled, completed), or when a new
 * job with the same id starts. When the last job ends, commit-growth resolves.
 */
import type { BlockJob } from '#schemas/types.js';
import { CRITICAL } from '../alerts/machine.js';
import { raise, resolveWhere, type Subject } from '../alerts/raise.js';
import type { JobsView } from '../alerts/chainRules.js';
import type { RecordScope } from '../scope.js';
import { JOB_ENDED, type CoreEvent } from './events.js';
import { jobDevice } from './locate.js';
import type { JobState, VmState } from '../state/state.js';

type JobEnd = Extract<CoreEvent, { event: 'BLOCK_JOB_END' }>;
type JobError = Extract<CoreEvent, { event: 'BLOCK_JOB_ERROR' }>;

function jobSubject(vm: VmState, job: string): Subject {
  return { device: jobDevice(vm), backingIndex: null, node: '', blockJob: job, image: '' };
}

function upsert(vm: VmState, id: string): JobState {
  return (vm.jobs[id] ??= { type: '', status: 'running', len: 0, offset: 0, errors: 0 });
}

/** Jobs that may grow a backing image (commit, or of a type not known yet). */
export function runningJobs(vm: VmState): JobsView | null {
  let any = false;
  for (const _ in vm.jobs) {
    any = true;
    break;
  }
  if (!any) return null; // the common case: no job, no allocation
  let ids: string[] | null = null;
  let remaining = 0;
  for (const id of Object.keys(vm.jobs).sort()) {
    const j = vm.jobs[id]!;
    if (j.type !== '' && j.type !== 'commit') continue;
    (ids ??= []).push(id);
    remaining += Math.max(0, j.len - j.offset);
  }
  return ids ? { ids, remaining } : null;
}

export function jobsFromSample(vm: VmState, jobs: BlockJob[]): void {
  for (const j of jobs) {
    if (JOB_ENDED.has(j.status)) continue;
    Object.assign(upsert(vm, j.id), { type: j.type, status: j.status, len: j.len, offset: j.offset });
  }
}

export function jobStatusChanged(scope: RecordScope, id: string, status: string): void {
  const vm = scope.vm;
  if (status === 'created') {
    resolveWhere(scope, (a) => a.type === 'block-job-error' && a.labels.blockJob === id, `a new block job ${id} started`);
    upsert(vm, id).status = status;
    return;
  }
  const j = vm.jobs[id];
  if (!j) return;
  if (!JOB_ENDED.has(status)) {
    j.status = status;
    return;
  }
  if (status !== 'aborting') jobGone(scope, id, `block job ${id} ${status}`);
}

export function jobErrored(scope: RecordScope, ev: JobError): void {
  const vm = scope.vm;
  const j = upsert(vm, ev.job);
  j.errors++;
  const msg =
    `block job ${ev.job}${j.type ? ` (${j.type})` : ''} hit an I/O error on ${ev.operation} (action ${ev.action}): ` +
    'for a commit, the base is likely out of space: extend it, or cancel the job';
  raise(scope, 'block-job-error', jobSubject(vm, ev.job), { level: CRITICAL, value: j.errors, threshold: 0, message: msg });
}

export function jobEnded(scope: RecordScope, ev: JobEnd): void {
  const vm = scope.vm;
  const s = jobSubject(vm, ev.job);
  if (ev.error !== '') {
    const msg = `block job ${ev.job} (${ev.type}) ${ev.how} with error: ${ev.error} (${ev.offset} of ${ev.len} bytes done)`;
    raise(scope, 'block-job-error', s, { level: CRITICAL, value: vm.jobs[ev.job]?.errors ?? 1, threshold: 0, message: msg });
    delete vm.jobs[ev.job];
    jobsDrained(scope, `block job ${ev.job} ended`);
    return;
  }
  jobGone(scope, ev.job, `block job ${ev.job} (${ev.type}) ${ev.how} at ${ev.offset} of ${ev.len} bytes`);
}

function jobGone(scope: RecordScope, id: string, why: string): void {
  const errors = scope.vm.jobs[id]?.errors ?? 0;
  delete scope.vm.jobs[id];
  resolveWhere(scope, (a) => a.type === 'block-job-error' && a.labels.blockJob === id, `${why} after ${errors} I/O errors`);
  jobsDrained(scope, why);
}

function jobsDrained(scope: RecordScope, why: string): void {
  if (runningJobs(scope.vm) !== null) return;
  resolveWhere(scope, (a) => a.type === 'commit-growth', why);
}
