/**
 * The processor runtime against the real broker and S3Proxy: its alerts, dead letters
 * and rollup objects must equal one uninterrupted run of the same pure partition step
 * (the reference) through crashes (SIGKILL at random points), a second instance joining
 * mid-stream, poison records, and S3 being down for 30 s.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Sample } from '#schemas/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRaw } from '#schemas/codecs/raw.js';
import { createCore } from '#processor/core/step.js';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { initialPartitionState, processBatch } from '#processor/partition/partitionStep.js';
import { stack } from './helpers/index.js';
import {
  activeMembers,
  actual,
  deletedRecords,
  exited,
  fleetRecords,
  lagOf,
  newScenario,
  produce,
  readAll,
  reference,
  sleep,
  spawnProcessor,
  waitCaughtUp,
  type Scenario,
} from './processor-support.js';
import { restartS3After, stopS3 } from './s3-outage.js';

const records = fleetRecords(8);
const POISON = [Math.floor(records.length / 4), Math.floor(records.length / 2)];
const children: ReturnType<typeof spawnProcessor>[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await exited(c);
  }
});

async function prepared(
  name: string,
  maxBatchMessages = 25,
  checkpointIntervalMs = 10_000,
): Promise<{ sc: Scenario; exp: Awaited<ReturnType<typeof reference>> }> {
  const sc = await newScenario(name, 3, { maxBatchMessages, checkpointIntervalMs });
  await produce(sc, records, POISON);
  const exp = await reference(sc, records.length + POISON.length);
  expect(exp.objects.size).toBeGreaterThan(0);
  expect(exp.alerts.length).toBeGreaterThan(0);
  expect(exp.deadLetters).toHaveLength(2);
  return { sc, exp };
}

/** Nothing published was deleted by the broker's time-based retention (the fixture's event times are days old). */
async function expectRetained(sc: Scenario): Promise<void> {
  const k = loadProcessorRuntimeConfig({ raw: sc.cfg }).kafka;
  expect(await deletedRecords([k.alertsTopic, k.deadLetterTopic])).toEqual([]);
}

function start(sc: Scenario) {
  const c = spawnProcessor(sc);
  children.push(c);
  return c;
}

async function stopGracefully(c: ReturnType<typeof spawnProcessor>): Promise<void> {
  c.kill('SIGTERM');
  expect(await exited(c)).toBe(0);
}

describe('processor runtime (real Kafka + S3Proxy)', () => {
  it('an uninterrupted run publishes exactly the reference outputs; poison records go to the DLQ', async () => {
    const { sc, exp } = await prepared('proc-plain');
    const startedAt = Date.now();
    const c = start(sc);
    await waitCaughtUp(sc);
    await stopGracefully(c);
    await expectRetained(sc);
    const got = await actual(sc, exp);
    expect(got.oldestTimestamp, 'output records carry their publication time').toBeGreaterThanOrEqual(startedAt - 60_000);
    expect(got.deadLetters).toEqual(exp.deadLetters);
    expect(got.deadLetters.map((d) => d.split(':')[2]).sort()).toEqual(['AVRO_CORRUPT', 'AVRO_UNKNOWN_FINGERPRINT']);
    expect(got.alerts).toEqual(exp.alerts);
    expect([...got.objects.keys()].sort()).toEqual([...exp.objects.keys()].sort());
    for (const [k, v] of exp.objects) expect(got.objects.get(k)?.equals(v), k).toBe(true);
    await checkWithDuckDb(got.objects);
    console.log(`[processor-runtime] plain: ${exp.messages} messages, ${exp.alerts.length} alert transitions, ${exp.objects.size} objects, 2 dead letters`);
  });

  it('kill -9 at random points, restarted each time: identical alerts and objects, no duplicates, no gaps', async () => {
    const { sc, exp } = await prepared('proc-kill', 5, 700); // checkpoints now and then: restarts replay from them
    const kills: number[] = [];
    for (let i = 0; i < 4; i++) {
      const c = start(sc);
      const at = 1_200 + Math.floor(Math.random() * 2_000);
      await sleep(at);
      c.kill('SIGKILL');
      await exited(c);
      kills.push(at);
    }
    const last = start(sc);
    await waitCaughtUp(sc);
    await stopGracefully(last);
    await expectRetained(sc);
    const got = await actual(sc, exp);
    expect(got.alerts).toEqual(exp.alerts);
    expect(got.deadLetters).toEqual(exp.deadLetters);
    expect([...got.objects.keys()].sort()).toEqual([...exp.objects.keys()].sort());
    for (const [k, v] of exp.objects) expect(got.objects.get(k)?.equals(v), k).toBe(true);
    console.log(`[processor-runtime] killed with SIGKILL after ${kills.join(', ')} ms; outputs identical`);
  });

  it('scale-out: a second instance joins mid-stream and partitions rebalance; outputs identical', async () => {
    // One message per transaction, so that the first instance cannot finish the stream
    // before the second has joined (partitions are processed concurrently).
    const { sc, exp } = await prepared('proc-scale', 1);
    const total = await lagOf(sc);
    const a = start(sc);
    // The second instance starts once the first has committed something: mid-stream.
    for (let i = 0; i < 300 && (await lagOf(sc)) >= total; i++) await sleep(100);
    const b = start(sc);
    // The rebalance must happen while there is still work: both members hold partitions, with lag left.
    let lagAtRebalance = -1;
    for (let i = 0; i < 80 && lagAtRebalance < 0; i++) {
      if ((await activeMembers(sc)) === 2) lagAtRebalance = await lagOf(sc);
      else await sleep(100);
    }
    expect(lagAtRebalance, 'second instance joined and got partitions before the stream was done').toBeGreaterThan(0);
    await waitCaughtUp(sc);
    await Promise.all([stopGracefully(a), stopGracefully(b)]);
    const got = await actual(sc, exp);
    expect(got.alerts).toEqual(exp.alerts);
    expect(got.deadLetters).toEqual(exp.deadLetters);
    expect([...got.objects.keys()].sort()).toEqual([...exp.objects.keys()].sort());
    for (const [k, v] of exp.objects) expect(got.objects.get(k)?.equals(v), k).toBe(true);
    console.log(`[processor-runtime] scale-out: second instance got partitions with ${lagAtRebalance} messages still to process; outputs identical`);
  });

  it('S3 down for 30 s: offsets never pass unwritten rollups, and everything completes after S3 returns', async () => {
    const { sc, exp } = await prepared('proc-s3down');
    const s = stack();
    const down = await stopS3(s.runDir);
    const c = start(sc);
    const seen: Array<{ committed: Map<number, number>; objects: Set<string> }> = [];
    const cfg = loadProcessorRuntimeConfig({ raw: sc.cfg });
    const dataDir = join(s.runDir, 's3', 'data', sc.bucket);
    const { kafkaClient } = await import('./helpers/index.js');
    const admin = kafkaClient('it-s3down').admin();
    await admin.connect();
    for (let i = 0; i < 12; i++) {
      await sleep(2_500);
      const committed = new Map(
        (await admin.fetchOffsets({ groupId: cfg.kafka.groupId, topics: [sc.raw] }))[0]!.partitions.map((p) => [p.partition, Number(p.offset)]),
      );
      seen.push({ committed, objects: filesUnder(dataDir) });
    }
    await restartS3After(down, 0);
    await waitCaughtUp(sc);
    await stopGracefully(c);
    await admin.disconnect();
    // The first offset of each partition whose processing releases a rollup window: the
    // processor may not commit past it while that window cannot be written.
    const byPartition = await readAll(sc.raw, exp.messages);
    const env = { core: createCore(cfg.core), decode: decodeRaw, allowedLatenessMs: cfg.rollups.allowedLatenessMs };
    const firstWindowOffset = new Map<number, number>();
    for (const [p, msgs] of byPartition) {
      const st = initialPartitionState(sc.raw, p);
      for (const m of msgs) {
        const { outputs } = processBatch(st, [{ offset: Number(m.offset), timestamp: 0, key: m.key, value: m.value }], env);
        if (outputs.windows.length > 0) {
          firstWindowOffset.set(p, Number(m.offset));
          break;
        }
      }
    }
    expect(firstWindowOffset.size).toBeGreaterThan(0);
    for (const snap of seen) {
      for (const [p, first] of firstWindowOffset) {
        expect(snap.committed.get(p) ?? -1, `partition ${p} committed past offset ${first}, whose rollup could not be written`).toBeLessThanOrEqual(first);
        expect([...snap.objects].some((k) => k.includes(`part-${p}-`))).toBe(false);
      }
    }
    const stalled = seen.slice(-4).map((x) => [...x.committed.values()].reduce((a, b) => a + Math.max(0, b), 0));
    expect(new Set(stalled).size).toBe(1);
    const got = await actual(sc, exp);
    expect(got.alerts).toEqual(exp.alerts);
    expect([...got.objects.keys()].sort()).toEqual([...exp.objects.keys()].sort());
    for (const [k, v] of exp.objects) expect(got.objects.get(k)?.equals(v), k).toBe(true);
    console.log(
      `[processor-runtime] S3 down 30 s: committed offsets during the outage ${JSON.stringify(seen.map((x) => [...x.committed.values()].reduce((a, b) => a + Math.max(0, b), 0)))}; first window offsets ${JSON.stringify([...firstWindowOffset])}`,
    );
  });
});

/**
 * Reads the 1-minute rollups back with DuckDB (an independent Parquet reader) and checks
 * them against the fixture samples themselves: per VM and window, the max allocation of
 * the top image and the increase of wr_bytes.
 */
async function checkWithDuckDb(objects: Map<string, Buffer>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'qmpipe-duck-'));
  for (const [k, v] of objects) {
    mkdirSync(dirname(join(dir, k)), { recursive: true });
    writeFileSync(join(dir, k), v);
  }
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

function filesUnder(dir: string): Set<string> {
  const out = new Set<string>();
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.add(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}
