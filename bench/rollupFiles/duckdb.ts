/** Both sets of rollup objects in DuckDB: row counts, sums, and the rows themselves (EXCEPT ALL both ways). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

function writeAll(objects: Map<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'qmpipe-bench-rollups-'));
  for (const [k, v] of objects) {
    mkdirSync(dirname(join(dir, k)), { recursive: true });
    writeFileSync(join(dir, k), v);
  }
  return dir;
}

export interface Comparison {
  rows: number;
  /** Per resolution: rows, sum(count), sum(increase), sum(avg) — the same in both sets. */
  perResolution: string[];
  onlyBefore: number;
  onlyAfter: number;
  equal: boolean;
}

export async function compareInDuckDb(before: Map<string, Uint8Array>, after: Map<string, Uint8Array>): Promise<Comparison> {
  const [b, a] = [writeAll(before), writeAll(after)];
  try {
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    const src = (dir: string) => `read_parquet('${dir}/**/*.parquet', hive_partitioning = false)`;
    const stats = async (dir: string) =>
      (
        await conn.runAndReadAll(
          `select resolution_s, count(*) as n, sum("count") as c, sum(increase) as inc, sum(avg) as avg from ${src(dir)} group by resolution_s order by resolution_s`,
        )
      )
        .getRowObjectsJson()
        .map((r) => `${r.resolution_s}s: ${r.n} rows, count ${r.c}, increase ${Number(r.inc).toPrecision(12)}, avg ${Number(r.avg).toPrecision(12)}`);
    const one = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRowObjectsJson()[0]!.n);
    const [sb, sa] = [await stats(b), await stats(a)];
    const onlyBefore = await one(`select count(*) as n from (select * from ${src(b)} except all select * from ${src(a)})`);
    const onlyAfter = await one(`select count(*) as n from (select * from ${src(a)} except all select * from ${src(b)})`);
    const rows = await one(`select count(*) as n from ${src(a)}`);
    const equal = JSON.stringify(sb) === JSON.stringify(sa) && onlyBefore === 0 && onlyAfter === 0 && rows > 0;
    return { rows, perResolution: sa, onlyBefore, onlyAfter, equal };
  } finally {
    rmSync(b, { recursive: true, force: true });
    rmSync(a, { recursive: true, force: true });
  }
}
