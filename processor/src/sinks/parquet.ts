/**
 * Rollup rows → Parquet (snappy-compressed, columnar), written with hyparquet-writer:
 * pure JavaScript, maintained, no native download at install.
 *
 * `ROLLUP_COLUMNS` is the one column list: the file's columns in order, their Parquet
 * and Athena types and their comments. The Athena table (athenaDdl.ts, checked in as
 * infra/deploy/athena/rollups.sql) is generated from it.
 *
 * An object holds one or more windows of one raw-topic partition and one resolution:
 * `RollupObjectBuilder` appends each window as one row group as it comes (only the
 * compressed bytes are held), and `finish` writes the footer.
 */
import { ByteWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import type { Rollup } from '#schemas/outputs.js';
import type { ClosedWindow } from '../partition/rollupBuffer.js';

type ColumnType = 'STRING' | 'DOUBLE' | 'INT64' | 'INT32' | 'TIMESTAMP';

export interface RollupColumn {
  name: string;
  type: ColumnType;
  /** The Athena (Hive) type. */
  athena: 'timestamp' | 'int' | 'bigint' | 'double' | 'string';
  comment: string | null;
  value: (r: Rollup, win: ClosedWindow, partition: number) => unknown;
}

const bigOrNull = (v: number | null) => (v === null ? null : BigInt(Math.round(v)));

function col(name: string, type: ColumnType, comment: string | null, value: RollupColumn['value']): RollupColumn {
  const athena = ({ STRING: 'string', DOUBLE: 'double', INT64: 'bigint', INT32: 'int', TIMESTAMP: 'timestamp' } as const)[type];
  return { name, type, athena, comment, value };
}

/** The file's columns, in order. */
export const ROLLUP_COLUMNS: readonly RollupColumn[] = [
  col('window_start', 'TIMESTAMP', 'window start (UTC, inclusive)', (_r, w) => new Date(w.windowStart)),
  col('window_end', 'TIMESTAMP', 'window end (UTC, exclusive)', (_r, w) => new Date(w.windowStart + w.resolutionMs)),
  col('resolution_s', 'INT32', 'window length in seconds', (_r, w) => Math.round(w.resolutionMs / 1000)),
  col('partition', 'INT32', 'input Kafka partition that produced the row', (_r, _w, p) => p),
  col('host', 'STRING', 'host the VM runs on (the agent that read it); null in rows of an older processor', (r) => r.host),
  col('vm', 'STRING', 'VM name', (r) => r.vm),
  col('vm_uuid', 'STRING', 'VM UUID (the raw topic key)', (r) => r.vmUuid),
  col('series', 'STRING', 'dotted series name (libvirt domstats vocabulary)', (r) => r.series),
  col('kind', 'STRING', 'gauge | counter | histogram | chain | records', (r) => r.type),
  col('unit', 'STRING', null, (r) => r.unit),
  col('count', 'INT64', 'points folded into the row (records: records of the VM that came)', (r) => BigInt(r.count)),
  col('min', 'DOUBLE', null, (r) => r.min),
  col('max', 'DOUBLE', null, (r) => r.max),
  col('avg', 'DOUBLE', null, (r) => r.avg),
  col('last', 'DOUBLE', null, (r) => r.last),
  col('increase', 'DOUBLE', 'counter: sum of deltas across resets; records: records missing from the seq of the VM', (r) => r.increase),
  col('mean_rate', 'DOUBLE', 'counter: increase / covered seconds', (r) => r.meanRate),
  col('peak_rate', 'DOUBLE', 'counter: highest per-interval rate', (r) => r.peakRate),
  col('resets', 'INT64', 'counter resets seen in the window; records: agent runs begun (restarts)', (r) => bigOrNull(r.resets)),
  col('p50', 'DOUBLE', null, (r) => r.p50),
  col('p90', 'DOUBLE', null, (r) => r.p90),
  col('p99', 'DOUBLE', null, (r) => r.p99),
  col('buckets', 'STRING', 'histogram: merged bucket deltas as a JSON array', (r) => (r.buckets === null ? null : JSON.stringify(r.buckets))),
  col('max_allocation', 'DOUBLE', 'chain: highest allocation (bytes)', (r) => r.maxAllocation),
  col('min_free', 'DOUBLE', 'chain: lowest physical - allocation (bytes)', (r) => r.minFree),
  col('max_growth', 'DOUBLE', 'chain: highest smoothed growth (bytes/s)', (r) => r.maxGrowth),
  col('physical_end', 'DOUBLE', 'chain: physical size at window end (bytes)', (r) => r.physicalEnd),
  col(
    'node',
    'STRING',
    'chain: format node name of the image at that position (a snapshot or pivot can put two images at one position in one window)',
    (r) => r.node,
  ),
  col('filename', 'STRING', 'chain: the image file or block device', (r) => r.filename),
];

function columnData(win: ClosedWindow, partition: number) {
  return ROLLUP_COLUMNS.map((c) => ({ name: c.name, data: win.rows.map((r) => c.value(r, win, partition)) as never }));
}

const SCHEMA = schemaFromColumnData({ columnData: ROLLUP_COLUMNS.map((c) => ({ name: c.name, type: c.type, data: [] })) });

/** One Parquet object being built: each window appended is one row group. */
export class RollupObjectBuilder {
  private readonly out = new ByteWriter();
  private readonly writer = new ParquetWriter({
    writer: this.out,
    schema: SCHEMA,
    createdBy: 'qmpipe rollup',
    kvMetadata: [{ key: 'qmpipe.schema', value: 'rollup/v3' }],
  });
  rows = 0;

  constructor(private readonly partition: number) {}

  /** Encodes the window's rows as one row group (an empty window adds none). */
  append(win: ClosedWindow): void {
    if (win.rows.length === 0) return;
    void this.writer.write({ columnData: columnData(win, this.partition), rowGroupSize: win.rows.length });
    this.rows += win.rows.length;
  }

  /** Bytes written so far (the footer not counted). */
  get bytes(): number {
    return this.out.offset;
  }

  finish(): Uint8Array {
    void this.writer.finish();
    return new Uint8Array(this.out.getBuffer());
  }
}

/** One window as its own object (the Lambda transport writes these). */
export function encodeRollupParquet(win: ClosedWindow, partition: number): Uint8Array {
  const b = new RollupObjectBuilder(partition);
  b.append(win);
  return b.finish();
}
