/**
 * Reads the processor's 1-minute rollups back with DuckDB (an independent Parquet reader)
 * and checks them against the fixture samples themselves: per VM and window, the max
 * allocation of the top image and the increase of wr_bytes.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'vitest';
import type { RawRecord, Sample } from '#schemas/types.js';
import { parseRollupObjectKey, rollupSpanPrefix } from '#processor/sinks/objectKey.js';

export async function checkWithDuckDb(objects: Map<string, Buffer>, records: readonly RawRecord[]): Promise<void> {
  const dir = writeAll(objects);
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  const rows = (
    await conn.runAndReadAll(`select vm, epoch_ms(window_start) as ws, series, max_allocation, increase, count
    from read_parquet('${dir}/rollups/resolution=1m/**/*.parquet', hive_partitioning = true)
    where series in ('block.vda.0', 'block.vda.wr.bytes') and vm like 'thin-%' order by vm, ws, series`)
  ).getRowObjectsJson();
  expect(rows.length).toBeGreaterThan(2);
  let checked = 0;
  const windowSamples = (vm: unknown, ws: number) =>
    records
      .filter((x) => x.vm.name === vm && x.body.kind === 'Sample' && x.t >= ws && x.t < ws + 60_000)
      .map((x) => (x.body.value as Sample).blockDevices.find((d) => d.dev === 'vda')!);
  // block.vda.0: one row per image that sat at depth 0 during the window (the snapshot
  // changes it), each with that image's highest allocation.
  const chainRows = new Map<string, number[]>();
  for (const r of rows.filter((x) => x.series === 'block.vda.0')) {
    const k = `${r.vm}@${r.ws}`;
    chainRows.set(
      k,
      [...(chainRows.get(k) ?? []), Number(r.max_allocation)].sort((a, b) => a - b),
    );
  }
  for (const [k, got] of chainRows) {
    const [vm, ws] = k.split('@');
    const perNode = new Map<string, number>();
    for (const d of windowSamples(vm, Number(ws))) {
      const el = d.chain[0]!;
      perNode.set(el.formatNode, Math.max(perNode.get(el.formatNode) ?? 0, el.allocation));
    }
    // A VM's last window may still be open in the core when its object is written (the
    // VM stopped sending); every row present must match an image of that window.
    for (const v of got) expect([...perNode.values()], k).toContain(v);
    checked++;
  }
  // block.vda.wr.bytes: the increase over the intervals that end in the window.
  for (const r of rows.filter((x) => x.series === 'block.vda.wr.bytes')) {
    const ws = Number(r.ws);
    const wr = windowSamples(r.vm, ws).map((d) => d.counters.wrBytes);
    const before = records
      .filter((x) => x.vm.name === r.vm && x.body.kind === 'Sample' && x.t < ws)
      .map((x) => (x.body.value as Sample).blockDevices.find((d) => d.dev === 'vda')!.counters.wrBytes);
    const start = before.length > 0 ? before[before.length - 1]! : wr[0]!;
    expect(Number(r.increase), `${r.vm} ${ws} wr.bytes`).toBe(wr[wr.length - 1]! - start);
    checked++;
  }
  expect(checked).toBeGreaterThan(2);
}

function writeAll(objects: Map<string, Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'qmpipe-duck-'));
  for (const [k, v] of objects) {
    mkdirSync(dirname(join(dir, k)), { recursive: true });
    writeFileSync(join(dir, k), v);
  }
  return dir;
}

/**
 * The rollup writer's objects (`got`) hold exactly the rows of the reference's one object per
 * window (`exp`), none twice, none missing, value for value (DuckDB, EXCEPT ALL both ways); each
 * object sits in its span's folder (an hour under 1 h, else a day) and names the windows it holds.
 */
export async function expectSameRollupRows(got: Map<string, Buffer>, exp: Map<string, Buffer>): Promise<{ rows: number; objects: number }> {
  for (const key of got.keys()) {
    const n = parseRollupObjectKey(key);
    expect(n, key).not.toBeNull();
    expect(key.startsWith(rollupSpanPrefix('rollups', resolutionMsOf(n!.resolution!), n!.firstStart)), key).toBe(true);
    expect(key.startsWith(rollupSpanPrefix('rollups', resolutionMsOf(n!.resolution!), n!.lastStart)), key).toBe(true);
  }
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  const a = `read_parquet('${writeAll(got)}/**/*.parquet', hive_partitioning = false)`;
  const e = `read_parquet('${writeAll(exp)}/**/*.parquet', hive_partitioning = false)`;
  const one = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRowObjectsJson()[0]!.n);
  const rows = await one(`select count(*) as n from ${a}`);
  expect(rows, 'rows').toBe(await one(`select count(*) as n from ${e}`));
  expect(await one(`select count(*) as n from (select * from ${a} except all select * from ${e})`), 'rows only the writer wrote (or twice)').toBe(0);
  expect(await one(`select count(*) as n from (select * from ${e} except all select * from ${a})`), 'rows the writer left out').toBe(0);
  return { rows, objects: got.size };
}

function resolutionMsOf(label: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(label)!;
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
}

/** Rows per resolution, with distinct VMs and the sum of `count`, read by DuckDB; and rows repeated on (resolution, window, VM, series, node). */
export async function rollupCounts(objects: Map<string, Buffer>): Promise<{ perResolution: string[]; repeatedRows: number }> {
  const dir = writeAll(objects);
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  const from = `read_parquet('${dir}/**/*.parquet', hive_partitioning = false)`;
  const rows = (
    await conn.runAndReadAll(
      `select resolution_s, count(*) as n, count(distinct vm) as vms, sum(count) as samples from ${from} group by resolution_s order by resolution_s`,
    )
  ).getRowObjectsJson();
  const repeated = (
    await conn.runAndReadAll(`select count(*) as n from (select 1 from ${from} group by resolution_s, window_start, vm_uuid, series, node having count(*) > 1)`)
  ).getRowObjectsJson();
  return { perResolution: rows.map((r) => `${r.resolution_s}s: ${r.n} rows, ${r.vms} VMs, ${r.samples} samples`), repeatedRows: Number(repeated[0]!.n) };
}
