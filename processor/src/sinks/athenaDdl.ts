/**
 * The Athena / Glue table over the rollup objects, generated from the one column list
 * (parquet.ts) and the processor's resolutions. `qmpipe athena-ddl` prints it; the
 * checked-in infra/deploy/athena/rollups.sql is its output for the default config (a unit
 * test fails when the two differ).
 */
import { resolutionLabel } from './objectKey.js';
import { ROLLUP_COLUMNS } from './parquet.js';

/** Names Athena reserves, quoted with backticks in the DDL. */
const RESERVED = new Set(['partition', 'count', 'min', 'max', 'avg', 'last', 'date', 'hour']);

const quote = (n: string) => (RESERVED.has(n) ? `\`${n}\`` : n);

export function athenaDdl(resolutionsMs: readonly number[]): string {
  const width = Math.max(...ROLLUP_COLUMNS.map((c) => quote(c.name).length)) + 1;
  const cols = ROLLUP_COLUMNS.map((c, i) => {
    const sep = i === ROLLUP_COLUMNS.length - 1 ? '' : ',';
    const comment = c.comment === null ? '' : ` COMMENT '${c.comment.replaceAll("'", "''")}'`;
    return `  ${quote(c.name).padEnd(width)}${c.athena.padEnd(10)}${comment}`.trimEnd() + sep;
  });
  const labels = resolutionsMs.map(resolutionLabel).join(',');
  return `-- Athena / Glue table over qmpipe's Parquet rollups. Generated: qmpipe athena-ddl > infra/deploy/athena/rollups.sql
-- (from the column list in processor/src/sinks/parquet.ts and the resolutions of the config; do not edit by hand).
--   s3://<bucket>/<prefix>/resolution=<r>/date=YYYY-MM-DD/hour=HH/part-<partition>-<firstWindowStart>-<lastWindowStart>.parquet
-- One object per raw-topic partition, resolution and hour (resolutions under 1 h) or day (1 h and
-- longer: hour=00 holds the day), each holding every window of that span (docs/rollups.md).
-- Partition projection: no MSCK REPAIR or crawler needed as new hours arrive.
-- Replace \${BUCKET} and \${PREFIX} (e.g. qmpipe-rollups, rollups).
CREATE EXTERNAL TABLE IF NOT EXISTS qmpipe_rollups (
${cols.join('\n')}
)
PARTITIONED BY (resolution string, \`date\` string, \`hour\` string)
STORED AS PARQUET
LOCATION 's3://\${BUCKET}/\${PREFIX}/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.resolution.type' = 'enum',
  'projection.resolution.values' = '${labels}',
  'projection.date.type' = 'date',
  'projection.date.format' = 'yyyy-MM-dd',
  'projection.date.range' = '2026-01-01,NOW',
  'projection.hour.type' = 'integer',
  'projection.hour.range' = '0,23',
  'projection.hour.digits' = '2',
  'storage.location.template' = 's3://\${BUCKET}/\${PREFIX}/resolution=\${resolution}/date=\${date}/hour=\${hour}/'
);
${EXAMPLES}`;
}

const EXAMPLES = `
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
`;
