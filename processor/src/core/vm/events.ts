/**
 * QMP events the processor acts on (qapi/block-core.json, qapi/job.json, qapi/run-state.json),
 * parsed from the QmpEvent record's JSON `data`. Unknown events and fields are
 * ignored (QMP compatibility rules); malformed data yields null and is counted.
 */
export type CoreEvent =
  | { event: 'BLOCK_IO_ERROR'; device: string; node: string; qomPath: string; nospace: boolean; action: string; operation: string }
  | { event: 'BLOCK_WRITE_THRESHOLD'; node: string; threshold: number; exceeded: number }
  | { event: 'BLOCK_JOB_ERROR'; job: string; operation: string; action: string }
  | { event: 'BLOCK_JOB_END'; job: string; type: string; how: 'completed' | 'cancelled'; error: string; len: number; offset: number }
  | { event: 'JOB_STATUS_CHANGE'; job: string; status: string }
  | { event: 'BLOCK_JOB_READY'; job: string; type: string }
  | { event: 'STOP' | 'RESUME' | 'SHUTDOWN' };

type Data = Record<string, unknown>;

const str = (d: Data, k: string): string => (typeof d[k] === 'string' ? (d[k] as string) : '');
const num = (d: Data, k: string): number => (typeof d[k] === 'number' ? (d[k] as number) : 0);

function parseData(json: string): Data | null {
  try {
    const v: unknown = JSON.parse(json);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Data) : null;
  } catch {
    return null;
  }
}

/** The event as the core sees it; null for events it ignores or cannot parse. */
export function parseEvent(name: string, json: string): CoreEvent | null | 'malformed' {
  if (name === 'STOP' || name === 'RESUME' || name === 'SHUTDOWN') return { event: name };
  const known = [
    'BLOCK_IO_ERROR',
    'BLOCK_WRITE_THRESHOLD',
    'BLOCK_JOB_ERROR',
    'BLOCK_JOB_COMPLETED',
    'BLOCK_JOB_CANCELLED',
    'JOB_STATUS_CHANGE',
    'BLOCK_JOB_READY',
  ];
  if (!known.includes(name)) return null;
  const d = parseData(json);
  if (!d) return 'malformed';
  switch (name) {
    case 'BLOCK_IO_ERROR':
      return {
        event: name,
        device: str(d, 'device'),
        node: str(d, 'node-name'),
        qomPath: str(d, 'qom-path'),
        nospace: d.nospace === true,
        action: str(d, 'action'),
        operation: str(d, 'operation'),
      };
    case 'BLOCK_WRITE_THRESHOLD':
      return { event: name, node: str(d, 'node-name'), threshold: num(d, 'write-threshold'), exceeded: num(d, 'amount-exceeded') };
    case 'BLOCK_JOB_ERROR':
      return { event: name, job: str(d, 'device'), operation: str(d, 'operation'), action: str(d, 'action') };
    case 'BLOCK_JOB_COMPLETED':
    case 'BLOCK_JOB_CANCELLED':
      return {
        event: 'BLOCK_JOB_END',
        job: str(d, 'device'),
        type: str(d, 'type'),
        how: name === 'BLOCK_JOB_COMPLETED' ? 'completed' : 'cancelled',
        error: str(d, 'error'),
        len: num(d, 'len'),
        offset: num(d, 'offset'),
      };
    case 'JOB_STATUS_CHANGE':
      return { event: name, job: str(d, 'id'), status: str(d, 'status') };
    default:
      return { event: 'BLOCK_JOB_READY', job: str(d, 'device'), type: str(d, 'type') };
  }
}

/** Job statuses after which a job no longer runs (qapi/job.json JobStatus). */
export const JOB_ENDED = new Set(['aborting', 'concluded', 'null']);
