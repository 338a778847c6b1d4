/**
 * The transcript format (test/fixtures/qmp/README.md), one JSON object a line:
 *
 *   {"t": <epoch ms>, "dir": "out" | "in" | "host", "msg": {...}}
 *
 *   out   a command as written to QEMU: {"execute", "arguments"?, "id"?}
 *   in    a message from QEMU: greeting {"QMP"}, reply {"return"|"error", "id"},
 *         or event {"event", "data"?, "timestamp"}
 *   host  a host observation: {"blockdev-size": {"path", "bytes"}},
 *         {"file-allocation": {"path", "bytes"}}, {"net-stats": NetInterface},
 *         {"process-stats": ProcessStats} (QEMU's CPU ticks, VmRSS, vCPU threads' ticks), or once per
 *         connection {"qemu-process": {"thread-id", "start-time", "boot-id"}} and, on libvirt
 *         hosts, {"device-names": {qdev id: name}} (disk names from the domain XML)
 *
 * Lines are untrusted: `parseTranscriptLine` returns undefined for anything that is
 * not JSON of this shape (the replay counts those as malformed).
 */
import { nameTable } from '#common/names.js';
import { QmpipeError } from '#common/errors.js';
import type { QemuProcess } from '#agent/sample/identity.js';
import type { NetInterface } from '#schemas/types.js';
import type { ProcessStats, TickCommand } from '#agent/sample/tick.js';
import { isObject, num, obj, str, type JsonObject } from '#agent/sample/json.js';

export interface TranscriptLine {
  t: number;
  dir: 'out' | 'in' | 'host';
  msg: JsonObject;
}

/** The input is not a transcript at all (no valid line), e.g. the wrong file. */
export class TranscriptError extends QmpipeError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('REPLAY_NOT_A_TRANSCRIPT', message, { retriable: false, context });
  }
}

/** Parses one line; undefined when it is not valid JSON of the transcript shape. */
export function parseTranscriptLine(text: string): TranscriptLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  const t = num(value['t']);
  const dir = value['dir'];
  const msg = obj(value['msg']);
  if (t === undefined || msg === undefined || (dir !== 'out' && dir !== 'in' && dir !== 'host')) return undefined;
  if (dir === 'out' && str(msg['execute']) === undefined && str(msg['exec-oob']) === undefined) return undefined;
  return { t, dir, msg };
}

/** Commands read once per connection for the VM's identity (and qom-list, the agent's search for a balloon device: its qom-get lines name the path). */
export type StartupCommand = 'query-version' | 'query-name' | 'query-uuid' | 'query-cpus-fast' | 'qom-list';

const STARTUP: ReadonlySet<string> = new Set<StartupCommand>(['query-version', 'query-name', 'query-uuid', 'query-cpus-fast', 'qom-list']);

const PLAIN_TICK: ReadonlySet<string> = new Set<TickCommand>([
  'query-status',
  'query-block',
  'query-named-block-nodes',
  'query-block-jobs',
  'query-stats-schemas',
  'query-memory-size-summary',
  'query-balloon',
]);

export type Routed = { kind: 'tick'; command: TickCommand } | { kind: 'startup'; command: StartupCommand } | { kind: 'ignored' };

/** What an `out` command is to the replay: a tick query, a startup query, or ignored. */
export function routeCommand(msg: JsonObject): Routed {
  const name = str(msg['execute']) ?? str(msg['exec-oob']) ?? '';
  const args = obj(msg['arguments']);
  if (name === 'query-blockstats') {
    return { kind: 'tick', command: args?.['query-nodes'] === true ? 'query-blockstats:nodes' : 'query-blockstats' };
  }
  if (name === 'query-stats') {
    const target = str(args?.['target']);
    return target ? { kind: 'tick', command: `query-stats:${target}` } : { kind: 'ignored' };
  }
  if (name === 'qom-get') return args?.['property'] === 'guest-stats' ? { kind: 'tick', command: 'qom-get:guest-stats' } : { kind: 'ignored' };
  if (PLAIN_TICK.has(name)) return { kind: 'tick', command: name as TickCommand };
  if (STARTUP.has(name)) return { kind: 'startup', command: name as StartupCommand };
  return { kind: 'ignored' };
}

/** A reply's id as a map key (ids may be any JSON value); undefined without one. */
export function idKey(msg: JsonObject): string | undefined {
  return Object.hasOwn(msg, 'id') ? JSON.stringify(msg['id']) : undefined;
}

/** The `blockdev-size` (or, with `kind`, another path → bytes) observation of a host line, if it is one. */
export function blockdevSize(msg: JsonObject, kind: 'blockdev-size' | 'file-allocation' = 'blockdev-size'): { path: string; bytes: number } | undefined {
  const o = obj(msg[kind]);
  const path = str(o?.['path']);
  const bytes = num(o?.['bytes']);
  return path !== undefined && bytes !== undefined ? { path, bytes } : undefined;
}

/** The `device-names` observation of a host line (disk names by qdev id from libvirt's domain XML), if it is one. */
export function deviceNames(msg: JsonObject): Record<string, string> | undefined {
  const o = obj(msg['device-names']);
  if (!o) return undefined;
  const out = nameTable<string>(); // keyed by qdev ids: names are data
  for (const [k, v] of Object.entries(o)) if (typeof v === 'string') out[k] = v;
  return out;
}

const NET_FIELDS = ['rxBytes', 'rxPackets', 'rxErrors', 'rxDropped', 'txBytes', 'txPackets', 'txErrors', 'txDropped'] as const;

/** The `net-stats` observation of a host line (a tap's counters, guest view), if it is one. */
export function netStats(msg: JsonObject): NetInterface | undefined {
  const o = obj(msg['net-stats']);
  const name = str(o?.['name']);
  if (!o || name === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const f of NET_FIELDS) {
    const v = num(o[f]);
    if (v === undefined) return undefined;
    out[f] = v;
  }
  return { name, ...out } as unknown as NetInterface;
}

/** The `qemu-process` observation of a host line (the vCPU threads' process, for the instance id), if it is one. */
export function qemuProcess(msg: JsonObject): QemuProcess | undefined {
  const o = obj(msg['qemu-process']);
  const threadId = num(o?.['thread-id']);
  const startTime = num(o?.['start-time']);
  const bootId = str(o?.['boot-id']);
  return threadId !== undefined && startTime !== undefined && bootId !== undefined ? { threadId, startTime, bootId } : undefined;
}

/** The `process-stats` observation of a host line (the QEMU process's CPU ticks, RSS and vCPU threads' ticks), if it is one. */
export function processStats(msg: JsonObject): ProcessStats | undefined {
  const o = obj(msg['process-stats']);
  const userTicks = num(o?.['userTicks']);
  const systemTicks = num(o?.['systemTicks']);
  if (!o || userTicks === undefined || systemTicks === undefined || !Array.isArray(o['vcpus'])) return undefined;
  const vcpus: ProcessStats['vcpus'] = [];
  for (const v of o['vcpus']) {
    const index = num(obj(v)?.['index']);
    const ticks = num(obj(v)?.['ticks']);
    if (index !== undefined && ticks !== undefined) vcpus.push({ index, ticks });
  }
  return { userTicks, systemTicks, rssKb: num(o['rssKb']) ?? null, vcpus };
}
