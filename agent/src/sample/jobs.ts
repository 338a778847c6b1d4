/**
 * query-block-jobs → `BlockJob[]`.
 *
 * Wire shape (qapi/block-core.json BlockJobInfo):
 *   [{ device: "<job id>", type: commit|stream|mirror|backup, status: running|ready|…,
 *      len, offset, speed, busy, paused, ready, "io-status": ok|failed|nospace,
 *      "auto-finalize", "auto-dismiss", error? }]
 */
import type { BlockJob } from '#schemas/types.js';
import { arr, bool, isObject, long, str } from './json.js';

/** Maps the reply; `malformed` when it is not an array or an entry is not an object. */
export function toBlockJobs(reply: unknown): { jobs: BlockJob[]; malformed: boolean } {
  const all = arr(reply);
  if (!all) return { jobs: [], malformed: true };
  const jobs = all.filter(isObject).map((j) => ({
    id: str(j['device']) ?? str(j['id']) ?? '',
    type: str(j['type']) ?? '',
    status: str(j['status']) ?? '',
    len: long(j['len']) ?? 0,
    offset: long(j['offset']) ?? 0,
    ioStatus: str(j['io-status']) ?? null,
    ready: bool(j['ready']) ?? false,
    paused: bool(j['paused']) ?? false,
  }));
  return { jobs, malformed: jobs.length !== all.length };
}
