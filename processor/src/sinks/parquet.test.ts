import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { encodeRollupParquet } from './parquet.js';
import { parseRollupObjectKey, rollupObjectKey } from './objectKey.js';
import { rollupRow } from '#test/support/rollupRows.js';

describe('rollup objects', () => {
  it('builds deterministic Hive-style keys', () => {
    const t = Date.UTC(2026, 10, 22, 7, 3, 0);
    expect(rollupObjectKey('rollups/', 60_000, 3, t)).toBe(`rollups/resolution=1m/date=2026-11-22/hour=07/part-3-${t}.parquet`);
    // 1 h and longer: the day's folder (hour 00); a range of windows names both ends.
    expect(rollupObjectKey('', 3_600_000, 0, t)).toBe(`resolution=1h/date=2026-11-22/hour=00/part-0-${t}.parquet`);
    expect(rollupObjectKey('r', 60_000, 12, t, t + 120_000)).toBe(`r/resolution=1m/date=2026-11-22/hour=07/part-12-${t}-${t + 120_000}.parquet`);
    expect(parseRollupObjectKey(`r/resolution=1m/date=2026-11-22/hour=07/part-12-${t}-${t + 120_000}.parquet`)).toEqual({
      resolution: '1m',
      partition: 12,
      firstStart: t,
      lastStart: t + 120_000,
    });
    expect(parseRollupObjectKey(`rollups/resolution=1m/date=2026-11-22/hour=07/part-3-${t}.parquet`)).toEqual({
      resolution: '1m',
      partition: 3,
      firstStart: t,
      lastStart: t,
    });
    expect(parseRollupObjectKey('rollups/checkpoints/x.bin')).toBeNull();
  });

  it('writes Parquet that an independent reader (DuckDB) reads back', async () => {
    const t0 = Date.UTC(2026, 10, 22, 7, 0, 0);
    const rows = [
      rollupRow({
        windowStart: t0,
        series: 'block.vda.0',
        type: 'chain',
        maxAllocation: 70,
        minFree: 50,
        maxGrowth: 9,
        physicalEnd: 200,
        count: 2,
        node: 'f1',
        filename: '/dev/vg/lv1',
      }),
      rollupRow({
        windowStart: t0,
        series: 'block.vda.wr.bytes',
        type: 'counter',
        unit: 'bytes',
        increase: 8 << 20,
        meanRate: 8 << 20,
        peakRate: 9 << 20,
        resets: 0,
      }),
      rollupRow({ windowStart: t0, series: 'vcpu.0.halt_wait_hist', type: 'histogram', unit: 'seconds', buckets: [0, 2, 2, 0], p50: 2 }),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'qmpipe-pq-'));
    const file = join(dir, 'a.parquet');
    writeFileSync(file, encodeRollupParquet({ resolutionMs: 60_000, windowStart: t0, rows }, 4));
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const got = (await conn.runAndReadAll(`select * from read_parquet('${file}') order by series`)).getRowObjectsJson();
    expect(got).toHaveLength(3);
    expect(got[0]).toMatchObject({
      series: 'block.vda.0',
      kind: 'chain',
      vm_uuid: 'u1',
      host: 'h1',
      max_allocation: 70,
      min_free: 50,
      max_growth: 9,
      physical_end: 200,
      partition: 4,
      resolution_s: 60,
      count: '2',
      node: 'f1',
      filename: '/dev/vg/lv1',
    });
    expect(got[1]).toMatchObject({
      series: 'block.vda.wr.bytes',
      kind: 'counter',
      increase: 8 << 20,
      mean_rate: 8 << 20,
      peak_rate: 9 << 20,
      resets: '0',
      min: null,
      node: null,
      filename: null,
    });
    expect(got[2]).toMatchObject({ series: 'vcpu.0.halt_wait_hist', p50: 2, buckets: '[0,2,2,0]' });
    expect(String(got[0]!.window_start)).toBe('2026-11-22 07:00:00');
    expect(String(got[0]!.window_end)).toBe('2026-11-22 07:01:00');
  });
});
