/**
 * Chain rollup rows carry their image's format node and file: on the thin-LV
 * transcript the live snapshot (and the active commit that follows, in the same
 * minute) happen in the window 01:46, which therefore holds two rows for position
 * block.vda.0 (the LV base, then the qcow2 overlay) and one for block.vda.1 (the base
 * after the snapshot). Through the partition step, the Parquet writer and DuckDB.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { decodeRaw, encodeRaw } from '#schemas/codecs/raw.js';
import { createCore } from '#processor/core/step.js';
import { fixturePath } from '../support/fixtures.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { encodeRollupParquet } from '#processor/sinks/parquet.js';
import { flushPartition, initialPartitionState, processBatch } from '#processor/partition/partitionStep.js';

const { records } = transcriptRecords(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl'));
const env = { core: createCore(defaultProcessorConfig()), decode: decodeRaw, allowedLatenessMs: 10_000 };
const state = initialPartitionState('raw', 0);
const messages = records.map((r, i) => ({ offset: i, timestamp: r.t, key: null, value: encodeRaw(r) }));
const windows = [...processBatch(state, messages, env).outputs.windows, ...flushPartition(state, env)];
const minute = windows.find((w) => w.resolutionMs === 60_000 && w.windowStart === Date.UTC(2026, 10, 22, 1, 46))!;

describe('chain rollup rows after a snapshot (thin-lv-enospc-commit.jsonl)', () => {
  it('one minute holds two images at position 0, told apart by node and file', () => {
    const chain = minute.rows.filter((r) => r.type === 'chain').map((r) => [r.series, r.node, r.filename]);
    expect(chain).toEqual([
      ['block.vda.0', 'lv0-format', '/dev/loop2'],
      ['block.vda.0', 'top-format', '/var/lib/qmpipe-test/top.qcow2'],
      ['block.vda.1', 'lv0-format', '/dev/loop2'],
    ]);
    const base = minute.rows.find((r) => r.series === 'block.vda.1')!;
    expect(base.maxAllocation! / 2 ** 20).toBeGreaterThan(160); // the commit filled the base
    expect(state.rollups.late).toBe(0);
  });

  it('every window has one row per (VM, series, node); other rows have no node', () => {
    for (const w of windows) {
      const keys = w.rows.map((r) => `${r.vmUuid} ${r.series} ${r.node}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(w.rows.filter((r) => (r.type === 'chain') !== (r.node !== null))).toEqual([]);
    }
    const hour = windows.find((w) => w.resolutionMs === 3_600_000)!;
    expect(hour.rows.filter((r) => r.type === 'chain').map((r) => [r.series, r.node])).toEqual([
      ['block.vda.0', 'lv0-format'],
      ['block.vda.0', 'top-format'],
      ['block.vda.1', 'lv0-format'],
    ]);
  });

  it('the Parquet object keeps node and filename (read back with DuckDB)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'qmpipe-chain-')), 'w.parquet');
    writeFileSync(file, encodeRollupParquet(minute, 0));
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    const got = (
      await conn.runAndReadAll(`select series, node, filename, count(*)::int as n from read_parquet('${file}')
      where kind = 'chain' group by all order by series, node`)
    ).getRowObjectsJson();
    expect(got).toEqual([
      { series: 'block.vda.0', node: 'lv0-format', filename: '/dev/loop2', n: 1 },
      { series: 'block.vda.0', node: 'top-format', filename: '/var/lib/qmpipe-test/top.qcow2', n: 1 },
      { series: 'block.vda.1', node: 'lv0-format', filename: '/dev/loop2', n: 1 },
    ]);
    const nulls = (
      await conn.runAndReadAll(`select count(*)::int as n from read_parquet('${file}') where kind <> 'chain' and node is null and filename is null`)
    ).getRowObjectsJson();
    expect(nulls[0]!.n).toBe(minute.rows.filter((r) => r.type !== 'chain').length);
  });
});
