/**
 * Issue 4 benchmark: the processor core's throughput in stat values per second on
 * one core — decode, normalize, rate, alerts and rollup accumulation — as a ratio to
 * a bare avsc decode loop over the same bytes, measured interleaved in the same run.
 *
 * Fleet: ≥ 10,000 synthetic VMs cloned from the fixtures' records (9 in 10 from
 * kvm-vcpu-stats.jsonl: 2 vCPUs × 47 stats with 3 log2 histograms + 16 VM stats + a
 * disk; 1 in 10 from thin-lv-enospc-commit.jsonl: chain, events, alerts), each with
 * its own identity, interleaved tick by tick as on one partition, Avro single-object
 * encoded once. "Values" are the numbers a record carries: query-stats slots, 23 block
 * counters per device, 4 numbers per chain element, 8 per tap.
 *
 * Also: heap bytes per active series with 1 M series held, and checkpoint bytes per series.
 * Targets: core ≥ 50 % of bare decode; ≤ 300 B heap and ≤ 64 B checkpoint per series.
 * Knobs: QMPIPE_BENCH_VMS (10000), QMPIPE_BENCH_TICKS (10), QMPIPE_BENCH_ROUNDS (5).
 */
import { ProcessorConfig } from '#schemas/config/processor.js';
import { decodeRaw, encodeRaw, rawCodec } from '#schemas/codecs/raw.js';
import { serializeCheckpoint } from '#processor/core/state/stateCodec.js';
import { initialState } from '#processor/core/state/state.js';
import { createCore } from '#processor/core/step.js';
import { cpuMs, emit, median } from './util.js';
import { fleet, fleetTick, valuesOf } from './fleet.js';

const VMS = Number(process.env.QMPIPE_BENCH_VMS ?? 10_000);
const TICKS = Number(process.env.QMPIPE_BENCH_TICKS ?? 10);
const ROUNDS = Number(process.env.QMPIPE_BENCH_ROUNDS ?? 5);
const BATCH = 1_000;
const config = ProcessorConfig.parse({});

/** Encoded records of tick 0 (first sight: builds the state) and of the ticks after it. */
interface EncodedFleet {
  warm: Buffer[][];
  timed: Buffer[][];
  values: number;
  records: number;
  bytes: number;
}

function encodeFleet(): EncodedFleet {
  const fleetOut: EncodedFleet = { warm: [], timed: [], values: 0, records: 0, bytes: 0 };
  let batch: Buffer[] = [];
  let tick = 0;
  const close = () => {
    if (batch.length > 0) (tick === 0 ? fleetOut.warm : fleetOut.timed).push(batch);
    batch = [];
  };
  for (const r of fleet(VMS, TICKS)) {
    if (r.seq !== tick) {
      close();
      tick = r.seq;
    }
    const buf = encodeRaw(r);
    if (tick > 0) {
      fleetOut.values += valuesOf(r);
      fleetOut.records++;
      fleetOut.bytes += buf.length;
    }
    batch.push(buf);
    if (batch.length === BATCH) close();
  }
  close();
  return fleetOut;
}

/**
 * Steady state: each pass builds the state from tick 0 (untimed), then times ticks
 * 1…n: decode (Avro + union unwrap), normalize, rates, alerts, rollup accumulation.
 * Records are decoded and stepped one at a time, as a shell should: a batch of
 * decoded records kept alive makes V8 pretenure the decoder's objects (old-space
 * garbage, costly major GCs).
 */
function runCore(f: EncodedFleet, cfg: ProcessorConfig, emitRates = false): number {
  const core = createCore(cfg, { emitRates });
  const state = initialState();
  for (const b of f.warm) for (const buf of b) core.step(state, [decodeRaw(buf)]);
  if (process.env.QMPIPE_BENCH_CORE_ONLY) process.stderr.write('--- warm done\n');
  const a = process.cpuUsage();
  for (const b of f.timed) for (const buf of b) core.step(state, [decodeRaw(buf)]);
  const d = process.cpuUsage(a);
  return (d.user + d.system) / 1000;
}

/**
 * Window closing: the timed ticks (≈ 1…9 s after a window start) never cross a 1 min
 * boundary, so pass A measures pure accumulation; pass B uses a 5 s finest window, so
 * every series closes (emits its row, merges into the 1 h window) exactly once. At
 * 1 s polling a 1 min window closes once per 60 ticks: the amortized cost per timed
 * pass is (B − A) × ticks / 60.
 */
const closing = ProcessorConfig.parse({ rollup: { resolutionsMs: [5_000, 3_600_000] } });

async function throughput(): Promise<void> {
  const f = encodeFleet();
  const sfx = SUFFIX;
  if (sfx === '') {
    emit('processor.bench.fleet_vms', VMS, 'VMs');
    emit('processor.bench.timed_records', f.records, 'records');
    emit('processor.bench.timed_values', f.values, 'values');
    emit('processor.bench.bytes_per_value', f.bytes / f.values, 'B');
  }
  const type = rawCodec().type;
  const bare = () => {
    gc(); // each side starts from a collected heap (the last pass's state is garbage)
    return cpuMs(() => {
      for (const b of f.timed) for (const buf of b) type.fromBuffer(buf.subarray(10));
    });
  };
  const pass = (cfg: ProcessorConfig) => {
    gc();
    return runCore(f, cfg);
  };
  await bare(); // warm-up
  pass(config);
  const baseline: number[] = [];
  const subject: number[] = [];
  const closes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    baseline.push(await bare());
    subject.push(pass(config));
    closes.push(pass(closing));
  }
  if (process.env.QMPIPE_BENCH_VERBOSE) {
    process.stderr.write(
      `core ms ${subject.map(Math.round).join(' ')}; closing ms ${closes.map(Math.round).join(' ')}; bare ms ${baseline.map(Math.round).join(' ')}\n`,
    );
  }
  const rate = (ms: number) => (f.values * 1000) / ms;
  const ticks = TICKS - 1;
  const closeCost = Math.max(0, median(closes) - median(subject));
  emit(`processor.core.values_per_s${sfx}`, rate(median(subject)), 'values/s');
  emit(`processor.baseline.bare_decode_values_per_s${sfx}`, rate(median(baseline)), 'values/s');
  emit(`processor.core.ratio_to_bare_decode${sfx}`, median(baseline) / median(subject), 'ratio');
  emit(`processor.core.window_close_ns_per_series${sfx}`, (closeCost * 1e6) / (f.values / ticks), 'ns');
  emit(`processor.core.ratio_incl_1min_window_close${sfx}`, median(baseline) / (median(subject) + (closeCost * ticks) / 60), 'ratio');
  emit(`processor.core.records_per_s${sfx}`, (f.records * 1000) / median(subject), 'records/s');
  if (sfx !== '') return;
  const withRates = [runCore(f, config, true), runCore(f, config, true), runCore(f, config, true)];
  emit('processor.core_emitting_rates.values_per_s', rate(median(withRates)), 'values/s');
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function memory(): void {
  const core = createCore(config);
  const probe = initialState();
  core.step(probe, fleet(1, 2, { kvmOnly: true }));
  const perVm = probe.series;
  const vms = Math.ceil(1_000_000 / perVm);
  gc();
  const before = process.memoryUsage().heapUsed;
  const state = initialState();
  for (let k = 0; k < 3; k++) core.step(state, fleetTick(vms, k));
  gc();
  const held = process.memoryUsage().heapUsed - before;
  emit('processor.state.series', state.series, 'series');
  emit('processor.state.heap_bytes_per_series', held / state.series, 'B');
  const t0 = process.cpuUsage();
  const ckpt = serializeCheckpoint(state);
  const d = process.cpuUsage(t0);
  emit('processor.checkpoint.bytes_per_series', ckpt.length / state.series, 'B');
  emit('processor.checkpoint.serialize_ms', (d.user + d.system) / 1000, 'ms');
}

/** QMPIPE_BENCH_CPUPROFILE=FILE: write a CPU profile of one timed core pass (and skip the rest). */
async function profile(file: string): Promise<void> {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const f = encodeFleet();
  runCore(f, config);
  const core = createCore(config);
  const state = initialState();
  for (const b of f.warm) for (const buf of b) core.step(state, [decodeRaw(buf)]);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  for (const b of f.timed) for (const buf of b) core.step(state, [decodeRaw(buf)]);
  const { profile: p } = await session.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(p));
}

/**
 * The processor should run with NODE_OPTIONS=--max-semi-space-size=32 (processor/README.md):
 * the decoder's garbage is young, and a larger young generation scavenges it less
 * often. The same throughput is measured once more in a child with that flag (the
 * baseline too), reported with a `.semispace32` suffix.
 */
const SUFFIX = process.env.QMPIPE_BENCH_SUFFIX ?? '';

async function semispaceChild(): Promise<void> {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=32', fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, QMPIPE_BENCH_SUFFIX: '.semispace32', QMPIPE_BENCH_THROUGHPUT_ONLY: '1' },
  });
}

if (process.env.QMPIPE_BENCH_THROUGHPUT_ONLY) {
  await throughput();
} else if (process.env.QMPIPE_BENCH_CORE_ONLY) {
  // For `node --cpu-prof`: the steady-state core passes only.
  const f = encodeFleet();
  for (let i = 0; i < 3; i++) {
    gc();
    process.stderr.write('--- core pass\n');
    process.stderr.write(`--- timed ${Math.round(runCore(f, config))} ms\n`);
  }
} else if (process.env.QMPIPE_BENCH_CPUPROFILE) {
  await profile(process.env.QMPIPE_BENCH_CPUPROFILE);
} else {
  await throughput();
  gc();
  memory();
  await semispaceChild();
}
