/** The processor runtime's named metrics (docs/style.md, "Telemetry as named counters"): a fixed list, never a log line per record. */
import { LATENCY_BUCKETS, Registry } from '#common/metrics.js';

export function processorTelemetry(registry = new Registry()) {
  return {
    registry,
    records: registry.counter('processor_records_total', 'Raw-topic messages processed'),
    deadLetters: registry.counter('processor_dead_letters_total', 'Messages sent to the dead-letter topic, by code'),
    alerts: registry.counter('processor_alerts_total', 'Alert transitions published, by type and state'),
    rollupWindows: registry.counter(
      'processor_rollup_windows_total',
      'Rollup windows published to the rollups topic (in the transaction); the rollup writer puts them in S3',
    ),
    rollupLate: registry.gauge('processor_rollup_late_rows', 'Rollup rows that arrived after their window was written, by partition'),
    transactions: registry.counter('processor_transactions_total', 'Kafka transactions, by result'),
    txnSeconds: registry.histogram('processor_transaction_seconds', 'Time to commit one partition transaction', LATENCY_BUCKETS),
    sinkFailures: registry.counter(
      'processor_sink_failures_total',
      'Sink deliveries that failed, by sink and phase: beforeCommit after its retries or inCommit records not made (the partition paused, nothing committed), afterCommit (that sink missed a committed batch)',
    ),
    pausedPartitions: registry.gauge('processor_paused_partitions', 'Partitions paused while a before-commit or in-commit sink fails'),
    ownedPartitions: registry.gauge('processor_owned_partitions', 'Input partitions this instance owns'),
    malformedSchemas: registry.counter('processor_malformed_schemas_total', 'Schema-topic messages skipped: not a writer schema'),
    unusableCheckpoints: registry.counter(
      'processor_unusable_checkpoints_total',
      'Partition checkpoints this release could not use (newer or damaged): the partition went on from its committed offset',
    ),
    counterResets: registry.gauge('processor_counter_resets', 'Counter resets seen, by partition (from the core state)'),
    coreCounters: registry.gauge(
      'processor_core_counter',
      "The core's counters by partition and counter (its checkpointed state): drops and refusals by reason, evictions, resets",
    ),
    hostClockSkew: registry.gauge(
      'processor_host_clock_skew_seconds',
      "Each host's clock offset measured against the raw topic's broker timestamps (positive: ahead), by partition and host",
    ),
  };
}

export type ProcessorTelemetry = ReturnType<typeof processorTelemetry>;
