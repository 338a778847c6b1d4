/**
 * Rollup rows → one Parquet object (snappy-compressed, columnar), written with
 * hyparquet-writer: pure JavaScript, maintained, no native download at install.
 * The columns are the data model documented in processor/README.md and in the
 * Athena/Glue table under infra/.
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ClosedWindow } from '../partition/rollupBuffer.js';

type ColumnType = 'STRING' | 'DOUBLE' | 'INT64' | 'INT32' | 'TIMESTAMP';

/** Column name, type, and how to read it from a row. Order is the file's column order. */
export const ROLLUP_COLUMNS = [
  ['window_start', 'TIMESTAMP'],
  ['window_end', 'TIMESTAMP'],
  ['resolution_s', 'INT32'],
  ['partition', 'INT32'],
  ['vm', 'STRING'],
  ['vm_uuid', 'STRING'],
  ['series', 'STRING'],
  ['kind', 'STRING'],
  ['unit', 'STRING'],
  ['count', 'INT64'],
  ['min', 'DOUBLE'],
  ['max', 'DOUBLE'],
  ['avg', 'DOUBLE'],
  ['last', 'DOUBLE'],
  ['increase', 'DOUBLE'],
  ['mean_rate', 'DOUBLE'],
  ['peak_rate', 'DOUBLE'],
  ['resets', 'INT64'],
  ['p50', 'DOUBLE'],
  ['p90', 'DOUBLE'],
  ['p99', 'DOUBLE'],
  ['buckets', 'STRING'],
  ['max_allocation', 'DOUBLE'],
  ['min_free', 'DOUBLE'],
  ['max_growth', 'DOUBLE'],
  ['physical_end', 'DOUBLE'],
  ['node', 'STRING'],
  ['filename', 'STRING'],
] as const satisfies ReadonlyArray<readonly [string, ColumnType]>;

export function encodeRollupParquet(win: ClosedWindow, partition: number): Uint8Array {
  const n = win.rows.length;
  const col = <T>(f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
  const r = win.rows;
  const bigOrNull = (v: number | null) => (v === null ? null : BigInt(Math.round(v)));
  const values: Record<(typeof ROLLUP_COLUMNS)[number][0], unknown[]> = {
    window_start: col(() => new Date(win.windowStart)),
    window_end: col(() => new Date(win.windowStart + win.resolutionMs)),
    resolution_s: col(() => Math.round(win.resolutionMs / 1000)),
    partition: col(() => partition),
    vm: col((i) => r[i]!.vm),
    vm_uuid: col((i) => r[i]!.vmUuid),
    series: col((i) => r[i]!.series),
    kind: col((i) => r[i]!.type),
    unit: col((i) => r[i]!.unit),
    count: col((i) => BigInt(r[i]!.count)),
    min: col((i) => r[i]!.min),
    max: col((i) => r[i]!.max),
    avg: col((i) => r[i]!.avg),
    last: col((i) => r[i]!.last),
    increase: col((i) => r[i]!.increase),
    mean_rate: col((i) => r[i]!.meanRate),
    peak_rate: col((i) => r[i]!.peakRate),
    resets: col((i) => bigOrNull(r[i]!.resets)),
    p50: col((i) => r[i]!.p50),
    p90: col((i) => r[i]!.p90),
    p99: col((i) => r[i]!.p99),
    buckets: col((i) => (r[i]!.buckets === null ? null : JSON.stringify(r[i]!.buckets))),
    max_allocation: col((i) => r[i]!.maxAllocation),
    min_free: col((i) => r[i]!.minFree),
    max_growth: col((i) => r[i]!.maxGrowth),
    physical_end: col((i) => r[i]!.physicalEnd),
    node: col((i) => r[i]!.node),
    filename: col((i) => r[i]!.filename),
  };
  const buf = parquetWriteBuffer({
    columnData: ROLLUP_COLUMNS.map(([name, type]) => ({ name, type, data: values[name] as never })),
    createdBy: 'qmpipe rollup',
    kvMetadata: [{ key: 'qmpipe.schema', value: 'rollup/v2' }],
  });
  return new Uint8Array(buf);
}
