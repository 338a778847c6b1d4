/**
 * One input partition's processing, the step the partition shell (shell/partitionShell.ts)
 * runs for the Kafka runtime and the Lambda alike:
 *
 *   processBatch(state, messages, env) -> { state, outputs }
 *
 * Like the core's `step`, it is pure apart from one thing: it **updates the state it is
 * given in place** and returns that same object (copying a partition's state per batch
 * would cost more than the batch). The caller owns the state; to keep an earlier one,
 * keep its checkpoint (partitionCheckpoint.ts). No I/O, no clock: the outputs and the new
 * state depend only on the state and the messages.
 *
 * It skips messages below `state.nextOffset` (redelivery after a crash, Lambda's
 * at-least-once), decodes each message and runs the core record by record. A record
 * that is poison (not decodable, too large, its Avro announcing more than it holds), whose
 * ids break the rules of schemas/src/ids.ts, whose time the core's clocks refuse, or whose
 * processing throws, becomes a DeadLetter and processing goes on. The core's rollup rows
 * go to the partition's rollup buffer, which releases whole windows by watermark. The core
 * closes every series' windows by the same watermark (the same allowed lateness), so
 * a silent VM's rows are in the object of their window. A batch split differently, or
 * resumed from a checkpoint of this state, gives the same outputs.
 */
import type { RawRecord } from '#schemas/types.js';
import { SchemaError } from '#schemas/codecs/avro.js';
import { recordIdProblem } from '#schemas/ids.js';
import { initialState, type CoreState } from '../core/state/state.js';
import type { Alert, DeadLetter, Rate } from '#schemas/outputs.js';
import type { ProcessorCore, StepOptions } from '../core/step.js';
import { watermarkBoundary } from '../core/clock/hosts.js';
import { appendOutputs, emptyOutputs, type Point, type StepOutputs } from '../core/outputs.js';
import { bufferRollups, initialRollupBuffer, releaseAll, type ClosedWindow, type RollupBufferState } from './rollupBuffer.js';

export interface PartitionState {
  v: 1;
  topic: string;
  partition: number;
  /** The next offset to process: everything below is reflected in this state. */
  nextOffset: number;
  core: CoreState;
  rollups: RollupBufferState;
  deadLetters: number;
}

export interface InputMessage {
  offset: number;
  /** The broker's append time on a raw topic with message.timestamp.type=LogAppendTime. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** The agent's clock when it sent the message (the qmpipe-sent-at header), if it said. */
  sentAt?: number | undefined;
}

export interface PartitionOutputs {
  alerts: Alert[];
  rates: Rate[];
  /** Counter and chain points for a metrics store (only with the core's emitPoints). */
  points: Point[];
  deadLetters: DeadLetter[];
  /** Rollup windows complete for this partition: one object each. */
  windows: ClosedWindow[];
  /** Messages below nextOffset, already reflected in the state. */
  skipped: number;
}

export interface PartitionEnv {
  core: ProcessorCore;
  decode: (value: Buffer) => RawRecord;
  allowedLatenessMs: number;
  /** A larger message is a dead letter (RECORD_TOO_LARGE), never decoded. Default DEFAULT_MAX_RECORD_BYTES. */
  maxRecordBytes?: number;
}

/** Kafka's default max.message.bytes: no agent record comes near it. */
export const DEFAULT_MAX_RECORD_BYTES = 1 << 20;

export function initialPartitionState(topic: string, partition: number, nextOffset = 0): PartitionState {
  return { v: 1, topic, partition, nextOffset, core: initialState(), rollups: initialRollupBuffer(), deadLetters: 0 };
}

/** Folds `messages` into `state` (updated in place, and returned) and returns what they produced. */
export function processBatch(
  state: PartitionState,
  messages: readonly InputMessage[],
  env: PartitionEnv,
): { state: PartitionState; outputs: PartitionOutputs } {
  const outputs: PartitionOutputs = { alerts: [], rates: [], points: [], deadLetters: [], windows: [], skipped: 0 };
  const core = emptyOutputs();
  const opts = { allowedLatenessMs: env.allowedLatenessMs };
  for (const m of messages) {
    if (m.offset < state.nextOffset) {
      outputs.skipped++;
      continue;
    }
    state.nextOffset = m.offset + 1;
    // Decoded one at a time: a decoded batch kept alive pushes the decoder's objects into V8's old space.
    const rec = decodeMessage(state, m, env, outputs.deadLetters);
    if (rec) stepRecord(state, m, rec, env, opts, core, outputs.deadLetters);
  }
  state.deadLetters += outputs.deadLetters.length;
  state.rollups.late += core.lateRollups;
  outputs.alerts = core.alerts;
  outputs.rates = core.rates;
  outputs.points = core.points;
  const clock = state.core.clock >= 0 ? state.core.clock : null;
  const closedUntil = clock === null ? undefined : watermarkBoundary(state.core, env.core.ctx, env.allowedLatenessMs);
  outputs.windows = bufferRollups(state.rollups, core.rollups, clock, { allowedLatenessMs: env.allowedLatenessMs, closedUntil }).due;
  return { state, outputs };
}

/**
 * One record through the core, its outputs appended to `into`. A record whose processing
 * throws (a poison record: a bug, or values that trip an invariant) is a dead letter
 * (PROCESSING_FAILED, with the error's message) and the partition goes on: its partial
 * outputs are dropped (changes it made to the state before throwing stay, as they would
 * on any replay of the same input, so the run stays deterministic).
 */
function stepRecord(state: PartitionState, m: InputMessage, rec: RawRecord, env: PartitionEnv, opts: StepOptions, into: StepOutputs, dlq: DeadLetter[]): void {
  let out: StepOutputs;
  try {
    // The agent's send time against the broker's append time measures the record's host's clock (core/clock/skew.ts).
    const sentAt = m.sentAt;
    out = env.core.step(state.core, [rec], sentAt === undefined ? opts : { ...opts, clockSample: () => ({ sentAt, appendT: m.timestamp }) }).outputs;
  } catch (err) {
    dlq.push({ ...letterBase(state, m), code: 'PROCESSING_FAILED', reason: err instanceof Error ? err.message : String(err) });
    return;
  }
  for (const r of out.refused) dlq.push({ ...letterBase(state, m), code: r.code, reason: r.reason });
  appendOutputs(into, out);
}

/** End of input (replay, demo): closes every open window of the core and the buffer (updating `state` in place). */
export function flushPartition(state: PartitionState, env: PartitionEnv): ClosedWindow[] {
  const rows = env.core.flush(state.core).rollups;
  bufferRollups(state.rollups, rows, null, { allowedLatenessMs: env.allowedLatenessMs });
  return releaseAll(state.rollups).due;
}

function letterBase(state: PartitionState, m: InputMessage) {
  return { topic: state.topic, partition: state.partition, offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value };
}

function decodeMessage(state: PartitionState, m: InputMessage, env: PartitionEnv, dlq: DeadLetter[]): RawRecord | null {
  const base = letterBase(state, m);
  if (m.value === null) {
    dlq.push({ ...base, code: 'EMPTY_VALUE', reason: 'message has no value (tombstone)' });
    return null;
  }
  const max = env.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  if (m.value.length > max) {
    dlq.push({ ...base, code: 'RECORD_TOO_LARGE', reason: `message of ${m.value.length} bytes, more than ${max}` });
    return null;
  }
  let rec: RawRecord;
  try {
    rec = env.decode(m.value);
  } catch (err) {
    const code = err instanceof SchemaError ? err.code : 'DECODE_FAILED';
    dlq.push({ ...base, code, reason: err instanceof Error ? err.message : String(err) });
    return null;
  }
  const invalid = recordIdProblem(rec);
  if (invalid === null) return rec;
  dlq.push({ ...base, code: 'INVALID_ID', reason: invalid });
  return null;
}
