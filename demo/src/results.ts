/**
 * The demo's closing: list the run's Parquet rollups on S3, copy them (Hive-style
 * paths kept) into the run directory, query them with DuckDB, write the HTML report.
 *
 * DuckDB reads the local copies rather than S3 itself: reading s3:// needs its httpfs
 * extension, which DuckDB downloads at run time; the local copies work offline and
 * show the same Hive partitioning (resolution=…/date=…/hour=…).
 * `@duckdb/node-api` is a regular dependency (the demo ships in the CLI); it is
 * imported lazily, so no other command loads the native library.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { describeError } from '#common/errors.js';
import type { QueryResult } from './report/htmlReport.js';

export interface ObjectInfo {
  key: string;
  size: number;
}

export async function listObjects(s3: S3Client, bucket: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

export async function download(s3: S3Client, bucket: string, objects: readonly ObjectInfo[], dir: string): Promise<void> {
  for (const o of objects) {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.key }));
    const file = join(dir, o.key);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, await got.Body!.transformToByteArray());
  }
}

/**
 * Per minute and VM, over the finest resolution present: the largest allocation of
 * any backing-chain element, the physical size at the end, the peak write rate.
 */
export function rollupQuery(glob: string): string {
  return `WITH r AS (
  SELECT * FROM read_parquet('${glob.replace(/'/g, "''")}', hive_partitioning = true)
)
SELECT strftime(date_trunc('minute', window_start), '%Y-%m-%d %H:%M') AS minute_utc,
       vm,
       count(DISTINCT window_start) AS windows,
       round(max(max_allocation) / 1048576, 1) AS max_allocation_mib,
       round(max(physical_end) / 1048576, 1) AS max_physical_mib,
       round(max(peak_rate) FILTER (WHERE series LIKE 'block.%.wr.bytes') / 1048576, 1) AS peak_write_mib_s
FROM r
WHERE resolution_s = (SELECT min(resolution_s) FROM r)
GROUP BY ALL
ORDER BY minute_utc, vm`;
}

interface DuckReader {
  columnNames(): string[];
  getRows(): unknown[][];
}
interface DuckConnection {
  runAndReadAll(sql: string): Promise<DuckReader>;
  closeSync(): void;
}
interface DuckModule {
  DuckDBInstance: { create(path: string): Promise<{ connect(): Promise<DuckConnection>; closeSync(): void }> };
}

export async function queryRollups(dir: string): Promise<QueryResult | { sql: string; error: string }> {
  const sql = rollupQuery(join(dir, '**', '*.parquet'));
  try {
    const duck = (await import('@duckdb/node-api')) as unknown as DuckModule;
    const db = await duck.DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const r = await conn.runAndReadAll(sql);
      return { sql, columns: r.columnNames(), rows: r.getRows().map((row) => row.map((v) => (v === null ? '' : String(v)))) };
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  } catch (err) {
    return { sql, error: describeError(err) };
  }
}
