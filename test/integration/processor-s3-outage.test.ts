/**
 * S3 is no part of the alert path (issue #23, "alerts never wait for S3"), on the real
 * broker and S3Proxy:
 *
 * - S3 stopped for an outage (90 s here; QMPIPE_IT_S3_OUTAGE_S=300 for the 5-minute
 *   version) while records flow through the processor: every alert is published within
 *   a second of the record that caused it (p99 < 1 s, read_committed), the rollup writer
 *   stores nothing and commits nothing past its first window meanwhile, and once S3 is
 *   back every rollup row is there once, the uninterrupted run's rows (the same
 *   DuckDB counts).
 * - The rollup writer killed between its S3 puts and its offset commit: the next writer
 *   reads those windows again and finds them stored (the keys name their windows): it
 *   skips them, no row twice, none missing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { outputCodecs } from '#schemas/codecs/outputs.js';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { kafkaClient, stack } from './helpers/index.js';
import { checkWithDuckDb, expectSameRollupRows, rollupCounts } from './processor-duckdb.js';
import { exited, metric, type ProcessorInstance, spawnProcessor, until } from './processor-instances.js';
import {
  actual,
  alertKey,
  type Expected,
  fleetRecords,
  lagOf,
  newScenario,
  produce,
  reference,
  type Scenario,
  sameKeys,
  sleep,
  total,
  waitCaughtUp,
  writerOffsets,
} from './processor-support.js';
import { restartS3After, stopS3 } from './s3-outage.js';
import { encodeRaw } from '#schemas/codecs/raw.js';
import type { RawRecord } from '#schemas/types.js';

const OUTAGE_MS = Number(process.env.QMPIPE_IT_S3_OUTAGE_S ?? 90) * 1_000;
const records = fleetRecords(8);
const instances: ProcessorInstance[] = [];

afterEach(async () => {
  for (const p of instances.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await exited(p);
  }
});

async function start(sc: Scenario, name: string, opts: Parameters<typeof spawnProcessor>[2] = {}): Promise<ProcessorInstance> {
  const p = await spawnProcessor(sc, name, opts);
  instances.push(p);
  return p;
}

async function stopGracefully(p: ProcessorInstance): Promise<void> {
  p.child.kill('SIGTERM');
  expect(await exited(p), p.logs.join('')).toBe(0);
}

/** The rollup objects hold the reference's rows once each, and DuckDB counts the same rows in both. */
async function expectRollups(got: Expected, exp: Expected): Promise<string[]> {
  await expectSameRollupRows(got.objects, exp.objects);
  const [a, e] = await Promise.all([rollupCounts(got.objects), rollupCounts(exp.objects)]);
  expect(a.perResolution).toEqual(e.perResolution);
  expect(a.repeatedRows, 'rows repeated on (resolution, window, VM, series, node)').toBe(0);
  await checkWithDuckDb(got.objects, records);
  return a.perResolution;
}

async function topicExists(topic: string): Promise<boolean> {
  const admin = kafkaClient('it-topics').admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(topic);
  } finally {
    await admin.disconnect();
  }
}

/** Follows the alerts topic (read_committed) from its start: the first arrival of each alert transition. */
async function followAlerts(topic: string): Promise<{ arrivals: Map<string, number>; stop: () => Promise<void> }> {
  const arrivals = new Map<string, number>();
  const consumer = kafkaClient('it-alert-latency').consumer({ groupId: `${topic}-latency`, readUncommitted: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const joined = new Promise((r) => consumer.on(consumer.events.GROUP_JOIN, r));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const k = alertKey(outputCodecs().alert.decode(message.value!));
      if (!arrivals.has(k)) arrivals.set(k, Date.now());
    },
  });
  await joined;
  return { arrivals, stop: () => consumer.disconnect() };
}

/**
 * Produces the records in event-time order over `spreadMs`, a few every 100 ms; returns
 * each record's event time with the moment its send began.
 */
async function produceOver(sc: Scenario, recs: RawRecord[], spreadMs: number): Promise<Array<[number, number]>> {
  const p = kafkaClient('it-paced').producer();
  await p.connect();
  const ticks = Math.max(1, Math.floor(spreadMs / 100));
  const per = Math.ceil(recs.length / ticks);
  const sent: Array<[number, number]> = [];
  const t0 = Date.now();
  for (let i = 0, tick = 0; i < recs.length; i += per, tick++) {
    await sleep(Math.max(0, t0 + tick * 100 - Date.now()));
    const slice = recs.slice(i, i + per);
    const at = Date.now();
    await p.send({ topic: sc.raw, messages: slice.map((r) => ({ key: r.vm.uuid, value: encodeRaw(r) })) });
    for (const r of slice) sent.push([r.t, at]);
  }
  await p.disconnect();
  return sent;
}

/**
 * An alert's latency: from the send of the first record whose event time reaches the
 * alert's time (the earliest the processor could know) to its arrival.
 */
function latencies(arrivals: Map<string, number>, sent: Array<[number, number]>): number[] {
  const out: number[] = [];
  for (const [key, arrived] of arrivals) {
    const t = Number(key.split('|')[0]);
    if (t <= sent[0]![0]) continue; // caused by the warm-up
    const cause = sent.find(([rt]) => rt >= t);
    expect(cause, `a record at or after the alert's time ${t}`).toBeDefined();
    out.push(arrived - cause![1]);
  }
  return out.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

describe('S3 outage (real Kafka + S3Proxy)', () => {
  it(
    `S3 down ${OUTAGE_MS / 1000} s while records flow: alerts within 1 s (p99), nothing stored or committed by the writer, every rollup there after`,
    async () => {
      const sc = await newScenario('proc-s3-alerts', 3, { maxBatchMessages: 25 });
      const p = await start(sc, 'all');
      const k = loadProcessorRuntimeConfig({ raw: sc.cfg }).kafka;
      await until(async () => await topicExists(k.alertsTopic), 'the processor creates its topics', 60_000, p);
      const alerts = await followAlerts(k.alertsTopic);
      // Warm-up, S3 up: the instance joins the group and takes partitions over (a
      // transactional producer each, the checkpoint read) before the measured records.
      const WARM = 60;
      await produce(sc, records.slice(0, WARM));
      await until(async () => (await metric(p, 'processor_owned_partitions')) > 0 && (await lagOf(sc)) === 0, 'the instance processes the warm-up', 60_000, p);
      const s = stack();
      const down = await stopS3(s.runDir);
      const atStop = { objectsPut: await metric(p, 'processor_rollup_writer_objects_total'), writer: await writerOffsets(sc) };
      const sent = await produceOver(sc, records.slice(WARM), OUTAGE_MS - 25_000);
      await waitCaughtUp(sc, 60_000, { writer: false });
      const exp = await reference(sc);
      await until(async () => alerts.arrivals.size >= exp.alerts.length, 'every alert arrives while S3 is down', 10_000);
      const during = {
        alerts: alerts.arrivals.size,
        s3Errors: await metric(p, 'processor_rollup_writer_s3_errors_total'),
        objectsPut: await metric(p, 'processor_rollup_writer_objects_total'),
        windowsRead: await metric(p, 'processor_rollup_writer_windows_total'),
        windowsPublished: await metric(p, 'processor_rollup_windows_total'),
        writer: await writerOffsets(sc),
        lagRaw: await lagOf(sc),
        downForMs: Date.now() - down.stoppedAt,
      };
      expect(during.downForMs, 'everything above happened while S3 was down').toBeLessThan(OUTAGE_MS);
      await restartS3After(down, OUTAGE_MS);
      await waitCaughtUp(sc, 120_000);
      await stopGracefully(p);
      await alerts.stop();

      const lat = latencies(alerts.arrivals, sent);
      const [p50, p99] = [quantile(lat, 0.5), quantile(lat, 0.99)];
      console.log(
        `[processor-s3-outage] S3 down ${OUTAGE_MS / 1000} s: ${lat.length} alert transitions, latency p50 ${p50} ms, p99 ${p99} ms, max ${lat.at(-1)} ms; ` +
          `during the outage: ${during.windowsPublished} windows published, ${during.windowsRead} read by the writer, ${during.objectsPut} objects put, ${during.s3Errors} S3 errors, ` +
          `writer committed ${total(during.writer.committed)} of ${total(during.writer.ends)} rollups-topic offsets`,
      );
      expect(sameKeys([...alerts.arrivals.keys()], [...new Set(exp.alerts)]), 'alerts, all during the outage').toBe('same');
      expect(p99, 'alert latency p99 (ms) while S3 is down').toBeLessThan(1_000);
      expect(during.lagRaw).toBe(0);
      expect(during.windowsPublished).toBe(exp.objects.size);
      expect(during.s3Errors).toBeGreaterThan(0);
      expect(during.objectsPut, 'objects put while S3 was down').toBe(atStop.objectsPut);
      // Every window published during the outage is unstored: the writer commits none of them.
      for (const [part, committed] of during.writer.committed)
        expect(committed, `rollups partition ${part}: committed past the records before the outage`).toBeLessThanOrEqual(atStop.writer.ends.get(part) ?? 0);
      expect(total(during.writer.ends)).toBeGreaterThan(total(atStop.writer.ends));
      const got = await actual(sc);
      expect(sameKeys(got.alerts, exp.alerts), 'alerts once each').toBe('same');
      const counts = await expectRollups(got, exp);
      console.log(
        `[processor-s3-outage] after S3 returned: ${got.objects.size} objects for ${exp.objects.size} windows, the reference's rows; DuckDB ${counts.join('; ')}`,
      );
    },
    OUTAGE_MS + 240_000,
  );

  it('the rollup writer killed after its puts, before its commit: the next one skips the windows stored, no row twice, none missing', async () => {
    const sc = await newScenario('proc-writer-crash', 3, { maxBatchMessages: 25 });
    await produce(sc, records);
    const exp = await reference(sc);
    const stream = await start(sc, 'stream', { role: 'stream' });
    await waitCaughtUp(sc, 120_000, { writer: false });
    // Commits once, early, then not for ten minutes.
    const slow = { ...sc.cfg.rollupWriter, commitIntervalMs: 600_000 };
    const w1 = await start(sc, 'writer1', { role: 'rollup-writer', cfg: { rollupWriter: slow } });
    const stored = async () =>
      (await metric(w1, 'processor_rollup_writer_windows_total')) === exp.objects.size && (await metric(w1, 'processor_rollup_writer_pending_windows')) === 0;
    await until(stored, 'the first writer stores every window', 60_000, w1);
    const put1 = await metric(w1, 'processor_rollup_writer_objects_total');
    w1.child.kill('SIGKILL');
    await exited(w1);
    const atKill = await writerOffsets(sc);
    expect(total(atKill.committed), 'records stored but not committed when the writer died').toBeLessThan(total(atKill.ends));
    const w2 = await start(sc, 'writer2', { role: 'rollup-writer' });
    await waitCaughtUp(sc, 60_000);
    const put2 = await metric(w2, 'processor_rollup_writer_objects_total');
    const skipped2 = await metric(w2, 'processor_rollup_writer_windows_skipped_total');
    await Promise.all([stopGracefully(stream), stopGracefully(w2)]);
    expect(put1).toBeGreaterThan(0);
    expect(put1, 'few objects: one per partition, resolution and quiet spell').toBeLessThan(exp.objects.size);
    expect(skipped2, 'windows read again and found stored by the second writer').toBeGreaterThan(0);
    expect(put2, 'objects put again by the second writer').toBe(0);
    const got = await actual(sc);
    const counts = await expectRollups(got, exp);
    console.log(
      `[processor-s3-outage] writer killed after ${put1} puts (${exp.objects.size} windows) with ${total(atKill.committed)} of ${total(atKill.ends)} offsets committed; ` +
        `the next writer skipped ${skipped2} windows read again and put ${put2} objects; ${got.objects.size} objects, DuckDB ${counts.join('; ')}, no row twice`,
    );
  }, 300_000);
});
