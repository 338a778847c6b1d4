/** The rollup writer's named metrics (processor/README.md, "The rollup writer"). */
import type { Registry } from '#common/metrics.js';

export function rollupWriterTelemetry(registry: Registry) {
  return {
    windows: registry.counter('processor_rollup_writer_windows_total', 'Rollup windows read whole (every chunk) from the rollups topic'),
    objects: registry.counter(
      'processor_rollup_writer_objects_total',
      'Parquet objects put to S3 (a window read again after a restart is put again, same key and bytes)',
    ),
    dropped: registry.counter(
      'processor_rollup_writer_records_dropped_total',
      'Rollups-topic records left out, by reason: undecodable, orphan-chunk, incomplete-window',
    ),
    pending: registry.gauge('processor_rollup_writer_pending_windows', 'Windows read from the rollups topic and not yet stored in S3'),
    lag: registry.gauge('processor_rollup_writer_lag_records', 'Rollups-topic records whose objects are not stored yet, by partition (as of the latest fetch)'),
    s3Errors: registry.counter('processor_rollup_writer_s3_errors_total', 'Failed S3 puts of rollup objects (each is tried again)'),
  };
}

export type RollupWriterTelemetry = ReturnType<typeof rollupWriterTelemetry>;
