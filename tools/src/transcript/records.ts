/**
 * Segments (ticks, events, reconnects) → the RawRecords the live agent publishes:
 * a StatsSchemaSnapshot before the first Sample referencing it, one Sample per tick,
 * one QmpEvent per event, `seq` incrementing per record.
 *
 * Every record carries the VmIdentity, which needs the connection's startup replies
 * (query-cpus-fast…). Those are complete once the first tick closes, so records
 * before it (events during startup) wait in `queue`. A reconnect (greeting) starts a
 * fresh sample builder and re-derives the identity from the new startup replies, as
 * the live agent does: the same QEMU process (same vCPU threads, same `qemu-process`
 * host line) keeps its instance id, a new one gets a new id.
 */
import type { RawBody, RawRecord, VmIdentity } from '#schemas/types.js';
import { buildSample, initialBuilderState, type BuilderState } from '#agent/sample/buildSample.js';
import { toQmpEvent } from '#agent/sample/events.js';
import { toVmIdentity } from '#agent/sample/identity.js';
import type { Segment, Startup } from './segmenter.js';

interface Draft {
  t: number;
  body: RawBody;
}

export interface RecordState {
  readonly host: string;
  readonly builder: BuilderState;
  readonly identity: VmIdentity | null;
  readonly queue: readonly Draft[];
  readonly seq: number;
  readonly ticks: number;
  readonly events: number;
}

export function initialRecords(host: string): RecordState {
  return { host, builder: initialBuilderState(), identity: null, queue: [], seq: 0, ticks: 0, events: 0 };
}

interface Step {
  state: RecordState;
  records: RawRecord[];
}

function identityOf(host: string, startup: Startup): VmIdentity {
  const r = startup.replies;
  return toVmIdentity({
    host,
    connectTime: startup.connectTime,
    process: startup.process,
    greeting: startup.greeting,
    version: r['query-version'],
    name: r['query-name'],
    uuid: r['query-uuid'],
    cpus: r['query-cpus-fast'],
  });
}

/** Stamps queued drafts with the identity and sequence numbers. */
function flush(s: RecordState, vm: VmIdentity): Step {
  const records = s.queue.map((d, i) => ({ vm, seq: s.seq + i + 1, t: d.t, body: d.body }));
  return { state: { ...s, identity: vm, queue: [], seq: s.seq + records.length }, records };
}

function onTick(s: RecordState, seg: Segment & { kind: 'tick' }): Step {
  const vm = s.identity ?? identityOf(s.host, seg.startup);
  const built = buildSample(s.builder, seg.tick);
  const drafts: Draft[] = [];
  if (built.snapshot) drafts.push({ t: seg.tick.t, body: { kind: 'StatsSchemaSnapshot', value: built.snapshot } });
  drafts.push({ t: seg.tick.t, body: { kind: 'Sample', value: built.sample } });
  return flush({ ...s, builder: built.state, queue: [...s.queue, ...drafts], ticks: s.ticks + 1 }, vm);
}

function onEvent(s: RecordState, seg: Segment & { kind: 'event' }): Step {
  const value = toQmpEvent(seg.msg);
  if (!value) return { state: s, records: [] };
  const next = { ...s, queue: [...s.queue, { t: seg.t, body: { kind: 'QmpEvent', value } as const }], events: s.events + 1 };
  return next.identity ? flush(next, next.identity) : { state: next, records: [] };
}

/** The connection ended: release what waited for an identity, then start over. */
function onConnect(s: RecordState, previous: Startup | null): Step {
  const out = s.queue.length > 0 ? flush(s, s.identity ?? identityOf(s.host, previous ?? { connectTime: 0, replies: {} })) : { state: s, records: [] };
  return { state: { ...out.state, identity: null, builder: initialBuilderState() }, records: out.records };
}

export function toRecords(s: RecordState, seg: Segment): Step {
  if (seg.kind === 'tick') return onTick(s, seg);
  if (seg.kind === 'event') return onEvent(s, seg);
  return onConnect(s, seg.previous);
}

/** End of input: records still waiting for an identity get the last known startup. */
export function endRecords(s: RecordState, startup: Startup | null): Step {
  return onConnect(s, startup);
}
