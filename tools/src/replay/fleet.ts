/**
 * Several transcripts as one partition of the raw topic (`qmpipe replay A.jsonl B.jsonl …`):
 * each transcript is one host, its records merged with the others' in true-time order,
 * as the raw topic delivers them, and run through the runtimes' partition step
 * (processor/src/partition/partitionStep.ts) with the runtime's allowed lateness, one
 * message per batch.
 *
 * A host's clock may be skewed (`--skew I=±DURATION`): its records carry its true time
 * plus the skew (as do its QEMU event times: QEMU stamps events with the host's clock),
 * and keep their order, while each message's `timestamp` stays the true time, as a topic
 * with message.timestamp.type=LogAppendTime gives; its qmpipe-sent-at is the record's (skewed) time.
 */
import type { InputMessage, PartitionEnv, PartitionOutputs } from '#processor/partition/partitionStep.js';
import { flushPartition, initialPartitionState, processBatch, type PartitionState } from '#processor/partition/partitionStep.js';
import { encodeRaw } from '#schemas/codecs/raw.js';
import type { RawRecord } from '#schemas/types.js';
import { UsageError } from '#common/command.js';

export interface FleetHost {
  /** VmIdentity.host of its records. */
  name: string;
  /** In the order the agent published them, stamped with the true time. */
  records: readonly RawRecord[];
  /** How far the host's clock is off (ms; positive: fast). */
  skewMs: number;
}

/** One raw-topic message of the merged replay and the host that sent it. */
export interface FleetMessage {
  host: string;
  message: InputMessage;
}

/** The hosts' records in true-time order (ties: the earlier host first), as offsets 0, 1, … of one partition. */
export function fleetMessages(hosts: readonly FleetHost[]): FleetMessage[] {
  const next = hosts.map(() => 0);
  const out: FleetMessage[] = [];
  for (;;) {
    let pick = -1;
    for (let h = 0; h < hosts.length; h++) {
      const r = hosts[h]!.records[next[h]!];
      if (r && (pick < 0 || r.t < hosts[pick]!.records[next[pick]!]!.t)) pick = h;
    }
    if (pick < 0) return out;
    const host = hosts[pick]!;
    const rec = host.records[next[pick]!++]!;
    const stamped = skewed(rec, host.skewMs);
    // The agent sends at sampling time by its own (skewed) clock; the broker appends at the true time.
    out.push({
      host: host.name,
      message: { offset: out.length, timestamp: rec.t, key: Buffer.from(rec.vm.uuid), value: encodeRaw(stamped), sentAt: stamped.t },
    });
  }
}

function skewed(rec: RawRecord, skewMs: number): RawRecord {
  if (skewMs === 0) return rec;
  const body =
    rec.body.kind === 'QmpEvent'
      ? { kind: 'QmpEvent' as const, value: { ...rec.body.value, qemuTimeUs: rec.body.value.qemuTimeUs + skewMs * 1000 } }
      : rec.body;
  return { ...rec, t: rec.t + skewMs, body };
}

/** What one message (or the end of input) gave. */
export interface FleetStep {
  /** The message's host; null for the end-of-input flush. */
  host: string | null;
  outputs: Pick<PartitionOutputs, 'alerts' | 'rates' | 'deadLetters' | 'windows'>;
}

/** Runs the messages through one partition, one batch each, then flushes: a step per message and one for the end. */
export function* replayFleet(messages: readonly FleetMessage[], env: PartitionEnv): Generator<FleetStep, PartitionState> {
  const state = initialPartitionState('replay', 0);
  for (const m of messages) yield { host: m.host, outputs: processBatch(state, [m.message], env).outputs };
  yield { host: null, outputs: { alerts: [], rates: [], deadLetters: [], windows: flushPartition(state, env) } };
  return state;
}

/**
 * `--skew I=±DURATION` (I: 1-based transcript number; DURATION: 90s, 2m, 1500ms, 1h) →
 * skew in ms by transcript index (0-based).
 */
export function parseSkews(specs: readonly string[], transcripts: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const spec of specs) {
    const m = /^(\d+)=([+-])(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(spec.trim());
    if (!m) throw new UsageError(`--skew '${spec}': use I=±DURATION, e.g. 2=+2m or 1=-90s`);
    const i = Number(m[1]);
    if (i < 1 || i > transcripts) throw new UsageError(`--skew '${spec}': there is no transcript ${i} (give 1 to ${transcripts})`);
    const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[4] as 'ms' | 's' | 'm' | 'h'];
    out.set(i - 1, (m[2] === '-' ? -1 : 1) * Math.round(Number(m[3]) * unit));
  }
  return out;
}

/** Host names: `--host a,b,…` (one per transcript), else host-1, host-2, … */
export function hostNames(list: string | undefined, transcripts: number): string[] {
  if (list === undefined) return Array.from({ length: transcripts }, (_, i) => `host-${i + 1}`);
  const names = list.split(',').map((s) => s.trim());
  if (names.length !== transcripts || names.some((n) => n === ''))
    throw new UsageError(`--host: give ${transcripts} names, comma-separated, one per transcript`);
  if (new Set(names).size !== names.length) throw new UsageError('--host: each transcript needs its own host name');
  return names;
}
