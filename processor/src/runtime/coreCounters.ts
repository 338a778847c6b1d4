/**
 * The core's counters on /metrics: what it dropped or refused, by reason, and what it
 * evicted or reset, per partition. They live in the partition's state (checkpointed, so
 * an instance that takes a partition over goes on counting from there): exported as
 * gauges `processor_core_counter{partition, counter}`, with the rollup rows that came
 * after their window was written (`lateRollupRows`). Records lost before the core (a VM's seq
 * skipping within an agent run: `recordsMissing`, core/vm/sequence.ts) count as a drop; per VM
 * they are in the rollups' `records` rows, not in labels here. A drop is logged once per partition
 * and reason, when it first shows, never per record. Each host's measured clock offset
 * (core/clock/skew.ts) is `processor_host_clock_skew_seconds{partition, host}`, while the
 * partition's state holds the host.
 */
import type { Logger } from '#common/log.js';
import type { PartitionState } from '../partition/partitionStep.js';
import type { ProcessorTelemetry } from './telemetry.js';

/** Counters that mean something was not processed as sent. */
export const DROPS = new Set([
  'nonPositiveDt',
  'statsWithoutSnapshot',
  'seriesOverflow',
  'malformedEvents',
  'clockAhead',
  'clockBehind',
  'clockSkew',
  'lateRollupRows',
  'recordsMissing',
]);

export class CoreCounterExport {
  private readonly logged = new Set<string>();
  /** Hosts whose skew is on /metrics, by partition. */
  private readonly skewHosts = new Map<string, Set<string>>();

  constructor(
    private readonly telemetry: Pick<ProcessorTelemetry, 'coreCounters' | 'hostClockSkew'>,
    private readonly log: Logger,
  ) {}

  /** After a partition's batch: its counters as they stand. */
  report(state: PartitionState): void {
    const partition = String(state.partition);
    const values: Array<[string, number]> = [...Object.entries(state.core.counters), ['lateRollupRows', state.rollups.late]];
    for (const [counter, value] of values) {
      this.telemetry.coreCounters.set({ partition, counter }, value);
      const key = `${partition}:${counter}`;
      if (value > 0 && DROPS.has(counter) && !this.logged.has(key)) {
        this.logged.add(key);
        this.log.warn('the core dropped or refused input (counted on /metrics as processor_core_counter; logged once per partition and reason)', {
          partition: state.partition,
          counter,
          count: value,
        });
      }
    }
    this.reportSkews(partition, state);
  }

  private reportSkews(partition: string, state: PartitionState): void {
    const now = new Set<string>();
    for (const s of state.core.skews) {
      now.add(s.host);
      this.telemetry.hostClockSkew.set({ partition, host: s.host }, s.estimate / 1000);
    }
    for (const host of this.skewHosts.get(partition) ?? []) if (!now.has(host)) this.telemetry.hostClockSkew.remove({ partition, host });
    this.skewHosts.set(partition, now);
  }
}
