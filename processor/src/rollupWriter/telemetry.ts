/** The rollup writer's named metrics (processor/README.md, "The rollup writer"). */
import type { Registry } from '#common/metrics.js';

export function rollupWriterTelemetry(registry: Registry) {
  return {
    windows: registry.counter('processor_rollup_writer_windows_total', 'Rollup windows read whole (every chunk) from the rollups topic'),
    objects: registry.counter(
      'processor_rollup_writer_objects_total',
      'Parquet objects put to S3 (each holds the windows of one partition, resolution and hour or day)',
    ),
    objectBytes: registry.counter('processor_rollup_writer_object_bytes_total', 'Bytes of the Parquet objects put to S3'),
    skipped: registry.counter(
      'processor_rollup_writer_windows_skipped_total',
      'Windows read again (after a restart or a rebalance) that a stored object already holds: not written twice',
    ),
    buffered: registry.gauge('processor_rollup_writer_buffered_bytes', 'Encoded bytes of the objects being filled (not yet put)'),
    dropped: registry.counter(
      'processor_rollup_writer_records_dropped_total',
      'Rollups-topic records left out, by reason: undecodable, orphan-chunk, incomplete-window',
    ),
    pending: registry.gauge('processor_rollup_writer_pending_windows', 'Windows read from the rollups topic and not yet stored in S3 (open objects included)'),
    lag: registry.gauge('processor_rollup_writer_lag_records', 'Rollups-topic records whose objects are not stored yet, by partition (as of the latest fetch)'),
    s3Errors: registry.counter('processor_rollup_writer_s3_errors_total', 'Failed S3 puts of rollup objects (each is tried again)'),
  };
}

export type RollupWriterTelemetry = ReturnType<typeof rollupWriterTelemetry>;
