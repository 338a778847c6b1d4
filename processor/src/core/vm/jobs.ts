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
import type { CoreContext } from '../context.js';
import { JOB_ENDED, type CoreEvent } from './events.js';
import { jobDevice } from './locate.js';
import type { Alert } from '#schemas/outputs.js';
import type { JobState, VmState } from '../state/state.js';

type JobEnd = Extract<CoreEvent, { event: 'BLOCK_JOB_END' }>;
type JobError = Extract<CoreEvent, { event: 'BLOCK_JOB_ERROR' }>;

function jobSubject(vm: VmState, job: string): Subject {
  return { device: jobDevice(vm), backingIndex: null, node: '', job };
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

export function jobStatusChanged(vm: VmState, id: string, status: string, t: number, out: Alert[]): void {
  if (status === 'created') {
    resolveWhere(vm, (a) => a.type === 'block-job-error' && a.labels.job === id, `a new block job ${id} started`, t, out);
    upsert(vm, id).status = status;
    return;
  }
  const j = vm.jobs[id];
  if (!j) return;
  if (!JOB_ENDED.has(status)) {
    j.status = status;
    return;
  }
  if (status !== 'aborting') jobGone(vm, id, `block job ${id} ${status}`, t, out);
}

export function jobErrored(ctx: CoreContext, vm: VmState, ev: JobError, t: number, out: Alert[]): void {
  const j = upsert(vm, ev.job);
  j.errors++;
  const msg =
    `block job ${ev.job}${j.type ? ` (${j.type})` : ''} hit an I/O error on ${ev.operation} (action ${ev.action}): ` +
    'for a commit, the base is likely out of space: extend it, or cancel the job';
  raise(ctx, vm, 'block-job-error', jobSubject(vm, ev.job), { level: CRITICAL, value: j.errors, threshold: 0, message: msg }, t, out);
}

export function jobEnded(ctx: CoreContext, vm: VmState, ev: JobEnd, t: number, out: Alert[]): void {
  const s = jobSubject(vm, ev.job);
  if (ev.error !== '') {
    const msg = `block job ${ev.job} (${ev.type}) ${ev.how} with error: ${ev.error} (${ev.offset} of ${ev.len} bytes done)`;
    raise(ctx, vm, 'block-job-error', s, { level: CRITICAL, value: vm.jobs[ev.job]?.errors ?? 1, threshold: 0, message: msg }, t, out);
    delete vm.jobs[ev.job];
    jobsDrained(vm, `block job ${ev.job} ended`, t, out);
    return;
  }
  jobGone(vm, ev.job, `block job ${ev.job} (${ev.type}) ${ev.how} at ${ev.offset} of ${ev.len} bytes`, t, out);
}

function jobGone(vm: VmState, id: string, why: string, t: number, out: Alert[]): void {
  const errors = vm.jobs[id]?.errors ?? 0;
  delete vm.jobs[id];
  resolveWhere(vm, (a) => a.type === 'block-job-error' && a.labels.job === id, `${why} after ${errors} I/O errors`, t, out);
  jobsDrained(vm, why, t, out);
}

function jobsDrained(vm: VmState, why: string, t: number, out: Alert[]): void {
  if (runningJobs(vm) !== null) return;
  resolveWhere(vm, (a) => a.type === 'commit-growth', why, t, out);
}
