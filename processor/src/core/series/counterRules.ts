/**
 * The counter rules every rate in the processor follows (qmp-notes §6–7, style §7):
 *
 * 1. First sight emits nothing. A series seen for the first time (a new VM, vCPU,
 *    device, chain element, or a slot that was missing) only records its value: its
 *    base is unknown, so there is no delta and no rate. This makes restarts safe.
 * 2. A reset emits nothing for its first interval, and is counted. A reset is any of:
 *    - a decrease of a cumulative value (a new process, node or device: BlockAcctStats,
 *      wr_highest_offset and KVM stats are per-process memory);
 *    - a new `instanceId` (QEMU restarted or migrated): every series of the VM resets;
 *    - a changed node name under the same chain position: that element's series reset.
 *    A reset never yields a negative or huge rate. For rollups the increase after a
 *    reset is the new value (it counted up from 0, as in Prometheus' increase()).
 * 3. A gap breaks the rate: when Δt > gapMultiple × sampleInterval, values are
 *    recorded but no rate is emitted for that interval (no averaging across missing data).
 * 4. Δt ≤ 0 (a duplicate or out-of-order sample) is dropped and counted.
 *
 * Time always comes from the records (the agent's sample time), never from a clock.
 */
import type { ProcessorConfig } from '#schemas/config/processor.js';

/** What one sample interval allows. */
export type IntervalKind = 'first' | 'ok' | 'gap' | 'nonpositive';

/** Classifies the interval (prevT, t]; prevT < 0 means no previous sample. */
export function classifyInterval(prevT: number, t: number, rates: ProcessorConfig['rates']): IntervalKind {
  if (prevT < 0) return 'first';
  const dt = t - prevT;
  if (dt <= 0) return 'nonpositive';
  if (dt > rates.gapMultiple * rates.sampleIntervalMs) return 'gap';
  return 'ok';
}

/** Outcome of one cumulative value over one interval. */
export type CounterStep =
  | { kind: 'first' }
  | { kind: 'reset'; increase: number }
  | { kind: 'delta'; delta: number };

/**
 * Applies rules 1–2 to one cumulative value. `prev < 0` means unknown (first sight or
 * missing). A decrease is a reset whose increase is the new value.
 */
export function counterStep(prev: number, cur: number): CounterStep {
  if (prev < 0 || cur < 0) return { kind: 'first' };
  if (cur < prev) return { kind: 'reset', increase: cur };
  return { kind: 'delta', delta: cur - prev };
}

/** Per-second rate of `delta` over `dtMs`, or null when the interval does not allow one (rules 3–4). */
export function rateOf(delta: number, dtMs: number, interval: IntervalKind): number | null {
  return interval === 'ok' && dtMs > 0 ? (delta * 1000) / dtMs : null;
}
