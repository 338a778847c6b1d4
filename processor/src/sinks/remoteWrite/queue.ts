/**
 * The remote-write sink's bounded queue of time series, in arrival order, measured
 * in samples. When a push takes it past its bound, the oldest series are dropped (and
 * counted): the newest data is kept, and what is sent stays in time order per series.
 * `take` removes whole series from the head, up to a batch size. No I/O.
 */
import type { TimeSeries } from './protobuf.js';

export class SeriesQueue {
  private items: TimeSeries[] = [];
  private head = 0;
  /** Samples queued. */
  samples = 0;
  /** Samples dropped because the queue was full, since start. */
  dropped = 0;

  constructor(readonly maxSamples: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(series: readonly TimeSeries[]): void {
    for (const s of series) {
      this.items.push(s);
      this.samples += s.samples.length;
    }
    while (this.samples > this.maxSamples && this.head < this.items.length) {
      const old = this.items[this.head++]!;
      this.samples -= old.samples.length;
      this.dropped += old.samples.length;
    }
    this.compact();
  }

  /** Whole series from the head, at least one, until `maxSamples` would be passed. */
  take(maxSamples: number): TimeSeries[] {
    const out: TimeSeries[] = [];
    let n = 0;
    while (this.head < this.items.length) {
      const s = this.items[this.head]!;
      if (out.length > 0 && n + s.samples.length > maxSamples) break;
      out.push(s);
      n += s.samples.length;
      this.head++;
    }
    this.samples -= n;
    this.compact();
    return out;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
