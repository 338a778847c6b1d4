import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { encodeRollupParquet } from './parquet.js';
import { rollupObjectKey } from './objectKey.js';
import { addPoints, closeAll, initialRollupState } from './window.js';

describe('rollup objects', () => {
  it('builds deterministic Hive-style keys', () => {
    const t = Date.UTC(2026, 10, 22, 7, 3, 0);
    expect(rollupObjectKey('rollups/', 60_000, 3, t)).toBe(`rollups/resolution=1m/date=2026-11-22/hour=07/part-3-${t}.parquet`);
    expect(rollupObjectKey('', 3_600_000, 0, t)).toBe(`resolution=1h/date=2026-11-22/hour=07/part-0-${t}.parquet`);
  });

  it('writes Parquet that an independent reader (DuckDB) reads back', async () => {
    const t0 = Date.UTC(2026, 10, 22, 7, 0, 0);
    const { closed } = closeAll(addPoints(initialRollupState(), [
      { kind: 'counter', vm: 'vm1', series: 'block.vda.wr.bytes', unit: 'bytes', t: t0 + 1000, delta: 8 << 20, dt: 1, reset: false },
      { kind: 'chain', vm: 'vm1', series: 'block.vda.0', t: t0 + 1000, allocation: 50, physical: 100, free: 50, growth: 3 },
      { kind: 'chain', vm: 'vm1', series: 'block.vda.0', t: t0 + 2000, allocation: 70, physical: 200, free: 130, growth: 9 },
      { kind: 'histogram', vm: 'vm1', series: 'vcpu.0.halt_wait_hist', unit: 'seconds', t: t0 + 1000, lower: [0, 1, 2, 4], deltas: [0, 2, 2, 0] },
    ], { resolutionsMs: [60_000], allowedLatenessMs: 0 }).state);
    const dir = mkdtempSync(join(tmpdir(), 'qmpipe-pq-'));
    const file = join(dir, 'a.parquet');
    writeFileSync(file, encodeRollupParquet(closed[0]!, 4));
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll(`select * from read_parquet('${file}') order by series`)).getRowObjectsJson();
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ series: 'block.vda.0', kind: 'chain', max_allocation: 70, min_free: 50, max_growth: 9, physical_end: 200, partition: 4, resolution_s: 60 });
    expect(rows[1]).toMatchObject({ series: 'block.vda.wr.bytes', increase: 8 << 20, mean_rate: 8 << 20, resets: '0' });
    expect(rows[2]).toMatchObject({ series: 'vcpu.0.halt_wait_hist', p50: 2, buckets: '[0,2,2,0]' });
    expect(String(rows[0]!.window_start)).toBe('2026-11-22 07:00:00');
  });
});
