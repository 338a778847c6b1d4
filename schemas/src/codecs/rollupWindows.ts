/**
 * Codec of the rollups topic (schemas/avro/rollupwindow.avsc), Avro single-object
 * encoded (avro.ts): one record per chunk of one closed rollup window of one raw-topic
 * partition. The processor publishes them inside its Kafka transaction; the rollup
 * writer joins a window's chunks and writes its Parquet object.
 *
 * Rows travel without their `kind`, `resolutionMs` and `windowStart` (the window's own);
 * `fromRollupRow` puts them back, so a window read from the topic is the window the
 * partition step closed, value for value.
 */
import type { Rollup } from '../outputs.js';
import { SingleObjectCodec, loadSchema } from './avro.js';

export type RollupRowRecord = Omit<Rollup, 'kind' | 'resolutionMs' | 'windowStart'>;

export interface RollupWindowRecord {
  /** Raw-topic partition the rows come from. */
  partition: number;
  resolutionMs: number;
  windowStart: number;
  /** 0-based index of this chunk among `chunks`. */
  chunk: number;
  chunks: number;
  rows: RollupRowRecord[];
}

let codec: SingleObjectCodec<RollupWindowRecord> | undefined;

export function rollupWindowCodec(): SingleObjectCodec<RollupWindowRecord> {
  codec ??= new SingleObjectCodec(loadSchema('rollupwindow'));
  return codec;
}

export function toRollupRow(r: Rollup): RollupRowRecord {
  const { kind: _kind, resolutionMs: _res, windowStart: _start, ...row } = r;
  return row;
}

export function fromRollupRow(row: RollupRowRecord, resolutionMs: number, windowStart: number): Rollup {
  return {
    kind: 'rollup',
    resolutionMs,
    windowStart,
    vm: row.vm,
    vmUuid: row.vmUuid,
    series: row.series,
    type: row.type,
    unit: row.unit,
    count: row.count,
    min: row.min,
    max: row.max,
    avg: row.avg,
    last: row.last,
    increase: row.increase,
    meanRate: row.meanRate,
    peakRate: row.peakRate,
    resets: row.resets,
    p50: row.p50,
    p90: row.p90,
    p99: row.p99,
    buckets: row.buckets,
    maxAllocation: row.maxAllocation,
    minFree: row.minFree,
    maxGrowth: row.maxGrowth,
    physicalEnd: row.physicalEnd,
    node: row.node,
    filename: row.filename,
    host: row.host ?? null,
  };
}

/**
 * An upper bound of a row's encoded size: every fixed field at its largest (a union
 * branch and 8 bytes for each number, 10 for a long, 5 for a length), the strings'
 * UTF-8 bytes, 8 bytes per bucket. Used to keep a record well under the broker's
 * message size without encoding rows twice.
 */
export function rowBytesBound(r: RollupRowRecord): number {
  const str = (s: string | null) => (s === null ? 1 : 6 + Buffer.byteLength(s, 'utf8'));
  const strings = str(r.vm) + str(r.vmUuid) + str(r.series) + str(r.type) + str(r.unit) + str(r.node) + str(r.filename) + str(r.host);
  return strings + 10 + 17 * 9 + (r.buckets === null ? 1 : 12 + 8 * r.buckets.length);
}
