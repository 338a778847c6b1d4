-- Athena / Glue table over qmpipe's Parquet rollups. Generated: qmpipe athena-ddl > infra/deploy/athena/rollups.sql
-- (from the column list in processor/src/sinks/parquet.ts and the resolutions of the config; do not edit by hand).
--   s3://<bucket>/<prefix>/resolution=<r>/date=YYYY-MM-DD/hour=HH/part-<partition>-<firstWindowStart>-<lastWindowStart>.parquet
-- One object per raw-topic partition, resolution and hour (resolutions under 1 h) or day (1 h and
-- longer: hour=00 holds the day), each holding every window of that span (docs/rollups.md).
-- Partition projection: no MSCK REPAIR or crawler needed as new hours arrive.
-- Replace ${BUCKET} and ${PREFIX} (e.g. qmpipe-rollups, rollups).
CREATE EXTERNAL TABLE IF NOT EXISTS qmpipe_rollups (
  window_start   timestamp  COMMENT 'window start (UTC, inclusive)',
  window_end     timestamp  COMMENT 'window end (UTC, exclusive)',
  resolution_s   int        COMMENT 'window length in seconds',
  `partition`    int        COMMENT 'input Kafka partition that produced the row',
  host           string     COMMENT 'host the VM runs on (the agent that read it); null in rows of an older processor',
  vm             string     COMMENT 'VM name',
  vm_uuid        string     COMMENT 'VM UUID (the raw topic key)',
  series         string     COMMENT 'dotted series name (libvirt domstats vocabulary)',
  kind           string     COMMENT 'gauge | counter | histogram | chain | records',
  unit           string,
  `count`        bigint     COMMENT 'points folded into the row (records: records of the VM that came)',
  `min`          double,
  `max`          double,
  `avg`          double,
  `last`         double,
  increase       double     COMMENT 'counter: sum of deltas across resets; records: records missing from the seq of the VM',
  mean_rate      double     COMMENT 'counter: increase / covered seconds',
  peak_rate      double     COMMENT 'counter: highest per-interval rate',
  resets         bigint     COMMENT 'counter resets seen in the window; records: agent runs begun (restarts)',
  p50            double,
  p90            double,
  p99            double,
  buckets        string     COMMENT 'histogram: merged bucket deltas as a JSON array',
  max_allocation double     COMMENT 'chain: highest allocation (bytes)',
  min_free       double     COMMENT 'chain: lowest physical - allocation (bytes)',
  max_growth     double     COMMENT 'chain: highest smoothed growth (bytes/s)',
  physical_end   double     COMMENT 'chain: physical size at window end (bytes)',
  node           string     COMMENT 'chain: format node name of the image at that position (a snapshot or pivot can put two images at one position in one window)',
  filename       string     COMMENT 'chain: the image file or block device'
)
PARTITIONED BY (resolution string, `date` string, `hour` string)
STORED AS PARQUET
LOCATION 's3://${BUCKET}/${PREFIX}/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.resolution.type' = 'enum',
  'projection.resolution.values' = '1m,1h,1d',
  'projection.date.type' = 'date',
  'projection.date.format' = 'yyyy-MM-dd',
  'projection.date.range' = '2026-01-01,NOW',
  'projection.hour.type' = 'integer',
  'projection.hour.range' = '0,23',
  'projection.hour.digits' = '2',
  'storage.location.template' = 's3://${BUCKET}/${PREFIX}/resolution=${resolution}/date=${date}/hour=${hour}/'
);

-- Example: a chain position's images per minute (two rows when a snapshot or a pivot happened in it).
-- SELECT vm, window_start, series, node, filename, max_allocation, physical_end
-- FROM qmpipe_rollups WHERE resolution = '1m' AND kind = 'chain' AND "date" = '2026-11-22'
-- ORDER BY vm, window_start, series, node;

-- Example: peak write rate and max allocation per VM and minute.
-- SELECT vm, window_start,
--        max(CASE WHEN series LIKE 'block.%.wr.bytes' THEN peak_rate END) AS peak_wr_bytes_per_s,
--        max(max_allocation) AS max_allocation
-- FROM qmpipe_rollups WHERE resolution = '1m' AND "date" = '2026-11-22'
-- GROUP BY vm, window_start ORDER BY window_start;

-- Example: records lost between agent and processor, per host, VM and day (the day's object is in hour 00).
-- SELECT host, vm, window_start, "count" AS records, increase AS missing, resets AS agent_restarts
-- FROM qmpipe_rollups WHERE resolution = '1d' AND kind = 'records' AND increase > 0 AND "date" = '2026-11-22'
-- ORDER BY missing DESC;
