/**
 * Issue 24 benchmark: rollup objects sized for query engines. 5,000 VMs on 24 raw-topic
 * partitions for a day of windows (1 min, 1 h, 1 d), no real-time wait: the rollup
 * writer's own core (assembly lanes, objects.ts, laneStore.ts) driven window by window
 * with a fake clock against an in-memory store at its store interface.
 *
 * - The day, every partition: how many objects a reader sees per partition per day, and
 *   before (one object per partition per window, as the writer wrote until now). Object
 *   bytes there come from the Parquet bytes per row measured in the sample below (a
 *   window is one row group, its bytes add up); encoding every row of the day for real
 *   takes about 0.35 s per 28,000-row window on this 2-core machine, some 7 hours for both sets.
 * - The sample, encoded for real: partition 0's first QMPIPE_BENCH_ROLLUP_SAMPLE_HOURS
 *   hours (2), its 1-h windows and its day window, as the writer's objects and as one object
 *   per window; DuckDB reads both sets and compares row counts, sums and the rows themselves.
 *
 * Knobs: QMPIPE_BENCH_ROLLUP_VMS (5000), QMPIPE_BENCH_ROLLUP_PARTITIONS (24),
 * QMPIPE_BENCH_ROLLUP_HOURS (24), QMPIPE_BENCH_ROLLUP_SAMPLE_HOURS (2).
 */
import { ProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { encodeRollupParquet, RollupObjectBuilder } from '#processor/sinks/parquet.js';
import { resolutionLabel, rollupObjectKey } from '#processor/sinks/objectKey.js';
import type { ClosedWindow } from '#processor/partition/rollupBuffer.js';
import type { ObjectBuilder } from '#processor/rollupWriter/objects.js';
import { emit } from './util.js';
import { DAY, dayWindows, partitionRows, RESOLUTIONS, rowsPerVm, templateRows } from './rollupFiles/fleetWindows.js';
import { runLanes } from './rollupFiles/drive.js';
import { compareInDuckDb } from './rollupFiles/duckdb.js';

const VMS = Number(process.env.QMPIPE_BENCH_ROLLUP_VMS ?? 5_000);
const PARTITIONS = Number(process.env.QMPIPE_BENCH_ROLLUP_PARTITIONS ?? 24);
const HOURS = Number(process.env.QMPIPE_BENCH_ROLLUP_HOURS ?? 24);
const SAMPLE_HOURS = Number(process.env.QMPIPE_BENCH_ROLLUP_SAMPLE_HOURS ?? 2);
const T0 = Date.UTC(2026, 10, 22);
const log = (s: string) => process.stderr.write(`# ${s}\n`);

const writer = ProcessorRuntimeConfig.shape.rollupWriter.parse({});
const limits = { maxRows: writer.maxObjectRows, maxBytes: writer.maxObjectBytes };
const templates = templateRows();
log(
  `template rows per VM: kvm ${templates[0]!.length}, thin-LV ${templates[9]!.length}; partition 0 holds ${rowsPerVm(templates, VMS, PARTITIONS, 0)} rows per window`,
);

// 1. The sample, encoded for real: the writer's objects and one object per window.
const started = performance.now();
const before = new Map<string, Uint8Array>();
/** Rows and bytes of the sample's one-window objects, by resolution. */
const sampleRows = new Map<number, number>();
function* sample(): Generator<{ partition: number; window: ClosedWindow }> {
  const ws = [...dayWindows(T0, SAMPLE_HOURS)].map((w) => ({ ...w, k: w.k }));
  if (!ws.some((w) => w.resolutionMs === DAY)) ws.push({ resolutionMs: DAY, windowStart: T0, k: 1 });
  for (const w of ws) {
    const window = {
      resolutionMs: w.resolutionMs,
      windowStart: w.windowStart,
      rows: partitionRows(templates, VMS, PARTITIONS, 0, w.resolutionMs, w.windowStart, w.k),
    };
    before.set(rollupObjectKey('rollups', w.resolutionMs, 0, w.windowStart), encodeRollupParquet(window, 0));
    sampleRows.set(w.resolutionMs, (sampleRows.get(w.resolutionMs) ?? 0) + window.rows.length);
    yield { partition: 0, window };
  }
}
const after = await runLanes(sample(), { prefix: 'rollups', ...limits, builder: (p) => new RollupObjectBuilder(p) });
const sampleSeconds = (performance.now() - started) / 1000;
log(`sample: ${before.size} windows → ${before.size} objects before, ${after.objects.size} after, encoded in ${sampleSeconds.toFixed(0)} s`);

/** Parquet bytes per row by resolution, and the bytes of an object beyond its row groups, from the sample's one-window objects. */
const perRow = new Map<number, number>();
for (const res of RESOLUTIONS) {
  const bytes = [...before].filter(([k]) => k.includes(`resolution=${resolutionLabel(res)}/`)).reduce((n, [, b]) => n + b.length, 0);
  perRow.set(res, bytes / sampleRows.get(res)!);
}

/** Counts rows; its bytes are the measured bytes per row (row groups add up). */
function sizedBuilder(): ObjectBuilder {
  let rows = 0;
  let bytes = 0;
  return {
    append: (w) => {
      rows += w.rows.length;
      bytes += w.rows.length * perRow.get(w.resolutionMs)!;
    },
    get rows() {
      return rows;
    },
    get bytes() {
      return bytes;
    },
    finish: () => new Uint8Array(0),
  };
}

// 2. The day, every partition: the writer's core over every window; sizes from the sample.
const dayStart = performance.now();
let objects = 0;
let objectBytes = 0;
let windows = 0;
let windowBytes = 0;
for (let p = 0; p < PARTITIONS; p++) {
  const n = rowsPerVm(templates, VMS, PARTITIONS, p);
  const rows = new Array(n); // only their number matters to the cuts and the sizes
  const ws = [...dayWindows(T0, HOURS)].map((w) => ({ partition: p, window: { resolutionMs: w.resolutionMs, windowStart: w.windowStart, rows } }));
  const sizes: number[] = [];
  const out = await runLanes(ws, { prefix: 'rollups', ...limits, builder: sizedBuilder }, (o) => sizes.push(o.bytes));
  objects += out.objects.size;
  objectBytes += sizes.reduce((a, b) => a + b, 0);
  windows += ws.length;
  windowBytes += ws.reduce((a, w) => a + n * perRow.get(w.window.resolutionMs)!, 0);
}
const days = HOURS / 24;
log(`day: ${PARTITIONS} partitions × ${HOURS} h, ${windows} windows → ${objects} objects in ${((performance.now() - dayStart) / 1000).toFixed(1)} s`);

emit('rollups.objects_per_partition_per_day', objects / PARTITIONS / days, 'objects');
emit('rollups.mean_object_bytes', objectBytes / objects, 'bytes');
emit('rollups.objects_per_partition_per_day.before_compaction', windows / PARTITIONS / days, 'objects');
emit('rollups.mean_object_bytes.before_compaction', windowBytes / windows, 'bytes');
const mean = (m: Map<string, Uint8Array>) => [...m.values()].reduce((n, b) => n + b.length, 0) / m.size;
emit('rollups.sample.mean_object_bytes', mean(after.objects), 'bytes');
emit('rollups.sample.mean_object_bytes.before_compaction', mean(before), 'bytes');
emit('rollups.sample.encode_seconds', sampleSeconds, 's');

// 3. DuckDB over both sets of the sample.
const cmp = await compareInDuckDb(before, after.objects);
log(`DuckDB: ${JSON.stringify(cmp)}`);
emit('rollups.duckdb.rows', cmp.rows, 'rows');
emit('rollups.duckdb.equal', cmp.equal ? 1 : 0, 'bool');
if (!cmp.equal) process.exitCode = 1;
