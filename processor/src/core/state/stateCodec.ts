/**
 * Checkpoints of the core state: compact, exact, deterministic bytes.
 *
 *   deflateRaw( version (2) | u32 LE skeleton length | skeleton JSON | varint stream )
 *
 * The skeleton is the state's JSON with every number array of ≥ 4 elements replaced
 * by a marker "\u0001<offset>:<count>" into the varint stream (series state is
 * almost all such arrays). Each number is written as a varint of
 * 4·zigzag(v) for integers |v| < 2^50 (tag 0), or tag 1 followed by its 8 IEEE-754
 * bytes otherwise, so values come back bit for bit. The state keeps integers
 * wherever it can (raw counters, milli-unit peaks, milliseconds), so most values
 * take 1–3 bytes. A genuine string starting with \u0001 is escaped with another.
 * Restoring gives a state that continues exactly like the original, its name-keyed
 * tables without a prototype again (state.ts, withNameTables).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { QmpipeError } from '#common/errors.js';
import { unknownSeq, withNameTables, type CoreState } from './state.js';
import { hostsFromVms } from '../clock/hosts.js';
import { rekeyPositionKeyedAlerts } from '../alerts/positionKeyedAlerts.js';

const MARK = '\u0001';
/**
 * 6: alerts keyed by image, not chain position, with labels blockJob (was job) and image
 * (earlier versions' firing alerts are re-keyed and keep their ids: alerts/positionKeyedAlerts.ts).
 * 5: each VM's record sequence (`seq`: agent run, last seq, record windows) and the
 * recordsMissing, recordsDuplicate and agentRuns counters (earlier versions restore with
 * nothing known yet: a VM's next record is never a gap). 4: hosts' clock offsets against the broker (`skews`) and the CLOCK_SKEW counter (earlier
 * versions restore with none measured yet). 3: host clocks (`hosts`) and the clock refusal counters (version 2 restores with each
 * host's clock taken from its VMs); chain elements count as series (added on restore). 2: window fields named minBase, maxPeak, sum,
 * prevPeak, samples, rateMs (version 1: a, b, c, pv, n, ms).
 */
const VERSION = 6;
const V1_WINDOW_FIELDS: Readonly<Record<string, string>> = { a: 'minBase', b: 'maxPeak', c: 'sum', pv: 'prevPeak', n: 'samples', ms: 'rateMs' };
const INT_LIMIT = 2 ** 50;

export class CheckpointFormatError extends QmpipeError {
  constructor(message: string, cause?: unknown) {
    super('CORE_CHECKPOINT_INVALID', message, { retriable: false, cause });
  }
}

class Writer {
  buf = Buffer.allocUnsafe(1 << 16);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  varint(x: number): void {
    this.room(10);
    while (x >= 128) {
      this.buf[this.len++] = (x % 128) | 128;
      x = Math.floor(x / 128);
    }
    this.buf[this.len++] = x;
  }
  number(v: number): void {
    if (Number.isInteger(v) && Math.abs(v) < INT_LIMIT && !Object.is(v, -0)) {
      this.varint((v >= 0 ? v * 2 : -v * 2 - 1) * 2);
    } else {
      this.varint(1);
      this.room(8);
      this.buf.writeDoubleLE(v, this.len);
      this.len += 8;
    }
  }
}

function isNumberArray(v: unknown): v is number[] {
  if (!Array.isArray(v) || v.length < 4) return false;
  for (const x of v) if (typeof x !== 'number') return false;
  return true;
}

export function serializeCheckpoint(state: CoreState): Buffer {
  const w = new Writer();
  let values = 0;
  const skeleton = JSON.stringify(state, (_key, value: unknown) => {
    if (typeof value === 'string' && value.startsWith(MARK)) return MARK + value;
    if (!isNumberArray(value)) return value;
    const marker = `${MARK}${values}:${value.length}`;
    for (const x of value) w.number(x);
    values += value.length;
    return marker;
  });
  const head = Buffer.from(skeleton, 'utf8');
  const pre = Buffer.allocUnsafe(5);
  pre[0] = VERSION;
  pre.writeUInt32LE(head.length, 1);
  return deflateRawSync(Buffer.concat([pre, head, w.buf.subarray(0, w.len)]));
}

/** Decodes all numbers of the stream at once (markers then slice it). */
function readNumbers(buf: Buffer, from: number): number[] {
  const out: number[] = [];
  let i = from;
  while (i < buf.length) {
    let x = 0;
    let mul = 1;
    let b: number;
    do {
      b = buf[i++]!;
      x += (b & 127) * mul;
      mul *= 128;
    } while (b & 128);
    if (x === 1) {
      out.push(buf.readDoubleLE(i));
      i += 8;
    } else {
      const zz = x / 2;
      out.push(zz % 2 === 0 ? zz / 2 : -(zz + 1) / 2);
    }
  }
  return out;
}

/** A rollup window (SeriesBlock, WindowAcc, ChainWindow) as version 1 wrote it: it has `start` and `n`. */
function isV1Window(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'start' in v && 'n' in v;
}

function renameV1Window(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[V1_WINDOW_FIELDS[k] ?? k] = x;
  return out;
}

/** Restores a core state from its checkpoint (this release's format or an earlier one's). */
export function restoreCheckpoint(bytes: Buffer): CoreState {
  let raw: Buffer;
  try {
    raw = inflateRawSync(bytes);
  } catch (cause) {
    throw new CheckpointFormatError('core checkpoint is not deflate data', cause);
  }
  const version = raw[0];
  if (raw.length < 5 || version === undefined || version < 1 || version > VERSION) {
    throw new CheckpointFormatError(`core checkpoint version ${version} is not one this release reads (1 to ${VERSION}): it was written by a newer release`);
  }
  const n = raw.readUInt32LE(1);
  if (5 + n > raw.length) throw new CheckpointFormatError('core checkpoint is truncated');
  const numbers = readNumbers(raw, 5 + n);
  let state: CoreState;
  try {
    state = JSON.parse(raw.subarray(5, 5 + n).toString('utf8'), (_key, value: unknown) => {
      if (version === 1 && isV1Window(value)) return renameV1Window(value);
      if (typeof value !== 'string' || !value.startsWith(MARK)) return value;
      if (value.startsWith(MARK + MARK)) return value.slice(1);
      const [off, count] = value.slice(1).split(':').map(Number) as [number, number];
      if (off + count > numbers.length) throw new CheckpointFormatError('core checkpoint refers past its numbers');
      return numbers.slice(off, off + count);
    }) as CoreState;
  } catch (cause) {
    if (cause instanceof CheckpointFormatError) throw cause;
    throw new CheckpointFormatError('core checkpoint skeleton is not JSON', cause);
  }
  if (version < 6) rekeyPositionKeyedAlerts(state);
  // Fields in the order initialState() has them, so the state serializes as a fresh one does.
  if (version < 3) {
    // Chain elements count against the series caps since version 3.
    for (const vm of Object.values(state.vms)) {
      let elements = 0;
      for (const list of Object.values(vm.chains)) elements += list.length;
      vm.series += elements;
      state.series += elements;
    }
    const { v, clock, hosts: _none, ...rest } = state;
    state = { v, clock, hosts: hostsFromVms(state), ...rest, counters: { ...state.counters, clockAhead: 0, clockBehind: 0 } };
  }
  if (version < 4) {
    const { v, clock, hosts, skews: _none, ...rest } = state;
    state = { v, clock, hosts, skews: [], ...rest, counters: { ...state.counters, clockSkew: 0 } };
  }
  if (version < 5) {
    for (const vm of Object.values(state.vms)) vm.seq = unknownSeq();
    state = { ...state, counters: { ...state.counters, recordsMissing: 0, recordsDuplicate: 0, agentRuns: 0 } };
  }
  return withNameTables(state);
}
