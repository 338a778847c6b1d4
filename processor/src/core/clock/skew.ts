/**
 * Each host's clock offset, measured against the broker, and the time its records are
 * judged in.
 *
 * The raw topic stamps every message with the broker's append time
 * (message.timestamp.type=LogAppendTime): one clock for the whole fleet. The agent stamps
 * each message with its own clock when it sends it (the qmpipe-sent-at header,
 * schemas/src/codecs/sentAt.ts), after any time in its spool. `sentAt − appendT` is the
 * host's offset minus the network's delay, never the record's age: an hour of spooled
 * backlog is not a host an hour behind. The delay is never negative, so within a stretch
 * of time the largest `sentAt − appendT` is the closest to the offset. A message without
 * the header (an older agent) is not measured: its record time is taken as stamped. The estimate is the median, over the host's
 * last SKEW_BUCKETS buckets of SKEW_BUCKET_MS of append time that held one of its records
 * (however far apart: a silent host keeps its estimate), of each bucket's largest value:
 * one poll stamped by a clock that jumped, or one bucket of spooled records, moves one
 * bucket and not the median; a real clock step moves it once it holds most buckets (about
 * 30 s). A new host's first record gives its first estimate.
 *
 * The offset taken off the host's record times (`applied`) follows the estimate only when
 * they differ by more than `clock.skewToleranceMs`, and stays 0 while the estimate is
 * within it: a healthy host's times are never touched, and no jitter of the delay moves a
 * host's sample intervals. So a host's VMs are judged in true time (staleness, rollup
 * windows, lateness), whatever its clock, and one host's clock never moves another's outputs.
 *
 * Beyond `clock.maxSkewMs` either way a host is not judged: its records are refused
 * (CLOCK_SKEW, counted and dead-lettered by the partition step) while its estimate keeps
 * following its clock, and a `clock-skew` alert (alerts/clockSkew.ts) fires for it until
 * the clock is back within.
 *
 * Limit: a send that takes long (a broker that accepts after retries) looks, for its
 * bucket, like a host behind by that long; the median over buckets absorbs one.
 *
 * State: `state.skews` (plain JSON, checkpointed), looked up by host through a derived Map.
 */
import type { Alert } from '#schemas/outputs.js';
import type { RawRecord } from '#schemas/types.js';
import { clockSkewCheck } from '../alerts/clockSkew.js';
import type { CoreContext } from '../context.js';
import type { CoreState, HostSkew } from '../state/state.js';
import type { Refusal } from './admission.js';

/** One message's two clocks: the agent's when it sent it (its header), the broker's when it appended it. */
export interface ClockSample {
  sentAt: number;
  appendT: number;
}

export const SKEW_BUCKET_MS = 10_000;
export const SKEW_BUCKETS = 6;

const indexes = new WeakMap<CoreState, Map<string, HostSkew>>();

function index(state: CoreState): Map<string, HostSkew> {
  let ix = indexes.get(state);
  if (!ix || ix.size !== state.skews.length) {
    ix = new Map(state.skews.map((s) => [s.host, s]));
    indexes.set(state, ix);
  }
  return ix;
}

/** The host's entry (undefined: none of its records was seen with an append time). */
export function hostSkew(state: CoreState, host: string): HostSkew | undefined {
  return index(state).get(host);
}

/**
 * Measures the record's host against the broker (`appendT`: the message's timestamp) and
 * returns the record's time in true time, or a refusal when the host is beyond the limit.
 * Raises or resolves the host's `clock-skew` alert into `alerts`.
 */
export function judgeHostTime(state: CoreState, rec: RawRecord, sample: ClockSample, ctx: CoreContext, alerts: Alert[]): number | Refusal {
  const cfg = ctx.config.clock;
  const appendT = sample.appendT;
  const s = observeOffset(state, rec.vm.host, sample.sentAt - appendT, appendT);
  if (Math.abs(s.estimate - s.applied) > cfg.skewToleranceMs) s.applied = Math.abs(s.estimate) > cfg.skewToleranceMs ? s.estimate : 0;
  const beyond = Math.abs(s.estimate) > cfg.maxSkewMs;
  clockSkewCheck(s, beyond, appendT, ctx, alerts);
  if (beyond) return { code: 'CLOCK_SKEW', reason: `host ${s.host}'s clock is ${seconds(s.estimate)} off the broker's, more than ${seconds(cfg.maxSkewMs)}` };
  return rec.t - s.applied;
}

function observeOffset(state: CoreState, host: string, offset: number, appendT: number): HostSkew {
  const ix = index(state);
  let s = ix.get(host);
  if (!s) {
    s = { host, bucket: -1, maxima: [], estimate: offset, applied: 0, lastAppendT: appendT, alerts: {} };
    state.skews.push(s);
    ix.set(host, s);
  }
  if (appendT > s.lastAppendT) s.lastAppendT = appendT;
  const bucket = Math.floor(appendT / SKEW_BUCKET_MS) * SKEW_BUCKET_MS;
  const last = s.maxima.length - 1;
  if (bucket > s.bucket) {
    s.bucket = bucket;
    s.maxima.push(offset);
    if (s.maxima.length > SKEW_BUCKETS) s.maxima.shift();
  } else if (offset > s.maxima[last]!) s.maxima[last] = offset;
  else return s;
  s.estimate = median(s.maxima);
  return s;
}

/** The upper median (of at most SKEW_BUCKETS values). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/**
 * At a sweep: forgets hosts with no record for the TTL (by the partition's clock, which is
 * true time), resolving their alert.
 */
export function sweepSkews(state: CoreState, ctx: CoreContext, alerts: Alert[]): void {
  const ttl = ctx.config.state.ttlSeconds * 1000;
  const keep = state.skews.filter((s) => {
    if (state.clock - s.lastAppendT <= ttl) return true;
    clockSkewCheck(s, false, state.clock, ctx, alerts, `no record from the host for ${ctx.config.state.ttlSeconds} s`);
    return false;
  });
  if (keep.length !== state.skews.length) {
    state.skews = keep;
    indexes.delete(state);
  }
}

function seconds(ms: number): string {
  return `${ms >= 0 ? '+' : '−'}${(Math.abs(ms) / 1000).toFixed(1)} s`;
}
