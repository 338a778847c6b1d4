/**
 * What the rollup stage consumes: one normalized observation of one series, as
 * the processor core derives it from a Sample. Event time `t` is the agent's
 * sample time (epoch ms), never the processing time.
 */
export type RollupPoint = GaugePoint | CounterPoint | HistogramPoint | ChainPoint;

interface PointBase {
  vm: string;
  /** Dotted series name in libvirt's domstats vocabulary, e.g. block.vda.wr.bytes. */
  series: string;
  t: number;
}

/** An instant value (instant, peak and boolean stats; capacity; gauges). */
export interface GaugePoint extends PointBase { kind: 'gauge'; unit: string; value: number }

/**
 * One interval of a cumulative counter. `delta` is already reset-corrected
 * (after a reset it is the new value, as in Prometheus' increase()); `dt` in
 * seconds; `reset` marks that this interval followed a counter reset.
 */
export interface CounterPoint extends PointBase { kind: 'counter'; unit: string; delta: number; dt: number; reset: boolean }

/** Per-interval bucket deltas of a histogram; `lower[i]` is bucket i's lower bound (last bucket open). */
export interface HistogramPoint extends PointBase { kind: 'histogram'; unit: string; lower: number[]; deltas: number[] }

/** One backing-chain element: allocation against physical. */
export interface ChainPoint extends PointBase {
  kind: 'chain';
  allocation: number;
  physical: number | null;
  free: number | null;
  /** Smoothed growth in bytes/s, when known. */
  growth: number | null;
}
