/**
 * The processor runtime against the real broker and S3Proxy: its alerts, rates, dead
 * letters and rollup objects must equal one uninterrupted run of the same pure partition
 * step (the reference) through crashes (SIGKILL while processing), a second instance
 * joining mid-stream, and poison records (S3 outages: processor-s3-outage.test.ts). Every
 * output topic is read to its end and on through a quiet period, so duplicates are seen as
 * well as gaps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { checkWithDuckDb, expectSameRollupRows } from './processor-duckdb.js';
import { assignment, exited, metric, type ProcessorInstance, spawnProcessor, until } from './processor-instances.js';
import {
  actual,
  deletedRecords,
  type Expected,
  fleetRecords,
  lagOf,
  newScenario,
  offsets,
  produce,
  reference,
  type Scenario,
  sameKeys,
  sleep,
  total,
  waitCaughtUp,
} from './processor-support.js';

const records = fleetRecords(8);
const POISON = [Math.floor(records.length / 4), Math.floor(records.length / 2), Math.floor((records.length * 3) / 4)];
const instances: ProcessorInstance[] = [];
const COMMITTED = ['processor_transactions_total', { result: 'committed' }] as const;

afterEach(async () => {
  for (const p of instances.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await exited(p);
  }
});

async function prepared(name: string, kafka: { maxBatchMessages?: number; checkpointIntervalMs?: number } = {}): Promise<{ sc: Scenario; exp: Expected }> {
  const sc = await newScenario(name, 3, { maxBatchMessages: 25, checkpointIntervalMs: 10_000, ...kafka }, { rates: true });
  await produce(sc, records, POISON);
  const exp = await reference(sc);
  expect(exp.messages).toBe(records.length + POISON.length);
  expect(exp.objects.size).toBeGreaterThan(0);
  expect(exp.alerts.length).toBeGreaterThan(0);
  expect(exp.rates.length).toBeGreaterThan(1_000);
  expect(exp.deadLetters).toHaveLength(3);
  return { sc, exp };
}

async function start(sc: Scenario, name: string): Promise<ProcessorInstance> {
  const p = await spawnProcessor(sc, name);
  instances.push(p);
  return p;
}

async function stopGracefully(p: ProcessorInstance): Promise<void> {
  p.child.kill('SIGTERM');
  expect(await exited(p), p.logs.join('')).toBe(0);
}

/**
 * Everything published equals the reference: alerts, rates and dead letters key for key
 * (no gaps, no duplicates, nothing deleted by the broker's retention: the fixture's event
 * times are days old), and the rollup objects hold every row of the reference's windows once.
 */
async function expectReference(sc: Scenario, exp: Expected): Promise<Expected> {
  const k = loadProcessorRuntimeConfig({ raw: sc.cfg }).kafka;
  expect(await deletedRecords([k.alertsTopic, k.ratesTopic, k.deadLetterTopic])).toEqual([]);
  const got = await actual(sc);
  expect(sameKeys(got.alerts, exp.alerts), 'alerts').toBe('same');
  expect(sameKeys(got.rates, exp.rates), 'rates').toBe('same');
  expect(sameKeys(got.deadLetters, exp.deadLetters), 'dead letters').toBe('same');
  await expectSameRollupRows(got.objects, exp.objects);
  return got;
}

describe('processor runtime (real Kafka + S3Proxy)', () => {
  it('an uninterrupted run publishes exactly the reference outputs; poison records (one announcing 10⁹ items) go to the DLQ', async () => {
    const { sc, exp } = await prepared('proc-plain');
    const startedAt = Date.now();
    const p = await start(sc, 'plain');
    await waitCaughtUp(sc);
    // What was refused is on /metrics, by reason.
    for (const code of ['AVRO_BAD_COUNT', 'AVRO_CORRUPT', 'AVRO_UNKNOWN_FINGERPRINT'])
      expect(await metric(p, 'processor_dead_letters_total', { code }), code).toBe(1);
    const samples = records.filter((r) => r.body.kind === 'Sample').length;
    expect(await metric(p, 'processor_core_counter', { counter: 'samples' }), 'samples the core took, over the partitions').toBe(samples);
    await stopGracefully(p);
    const got = await expectReference(sc, exp);
    expect(got.oldestTimestamp, 'output records carry their publication time').toBeGreaterThanOrEqual(startedAt - 60_000);
    expect(got.deadLetters.map((d) => d.split(':')[2]).sort()).toEqual(['AVRO_BAD_COUNT', 'AVRO_CORRUPT', 'AVRO_UNKNOWN_FINGERPRINT']);
    await checkWithDuckDb(got.objects, records);
    console.log(
      `[processor-runtime] plain: ${exp.messages} messages, ${exp.alerts.length} alert transitions, ${exp.rates.length} rates, ${exp.objects.size} rollup windows, 3 dead letters`,
    );
  });

  it('kill -9 four times, each after the instance committed on its partitions with records left: identical outputs', async () => {
    const { sc, exp } = await prepared('proc-kill', { maxBatchMessages: 5, checkpointIntervalMs: 700 }); // restarts replay from checkpoints
    const kills: string[] = [];
    for (let i = 0; i < 4; i++) {
      const before = total((await offsets(sc)).committed);
      const p = await start(sc, `kill${i}`);
      // The instance owns partitions and has committed a transaction on one; then a random
      // moment later (processing, writing to S3, or inside a transaction) it dies.
      await until(async () => (await metric(p, ...COMMITTED)) >= 1, `instance ${i} commits a transaction`, 90_000, p);
      const delay = Math.floor(Math.random() * 400);
      await sleep(delay);
      const txns = await metric(p, ...COMMITTED);
      p.child.kill('SIGKILL');
      await exited(p);
      let at = await offsets(sc);
      await until(async () => total((at = await offsets(sc)).committed) > before, `instance ${i}'s commits are visible in the group's offsets`, 5_000);
      const left = total(at.ends) - total(at.committed);
      expect(left, `records left when instance ${i} was killed`).toBeGreaterThan(0);
      kills.push(
        `#${i} ${delay} ms after its first commit (${txns} transactions): committed ${JSON.stringify(Object.fromEntries(at.committed))}, ${left} left`,
      );
    }
    const last = await start(sc, 'last');
    await waitCaughtUp(sc);
    await stopGracefully(last);
    await expectReference(sc, exp);
    console.log(`[processor-runtime] SIGKILL ${kills.join('; ')}. Outputs identical (${exp.alerts.length} alerts, ${exp.rates.length} rates)`);
  }, 300_000);

  it('scale-out: a second instance joins mid-stream and gets partitions with records left on them; outputs identical', async () => {
    // One message per transaction, so that the first instance cannot finish the stream
    // before the second has joined (partitions are processed concurrently).
    const { sc, exp } = await prepared('proc-scale', { maxBatchMessages: 1 });
    const a = await start(sc, 'a');
    await until(async () => (await metric(a, ...COMMITTED)) >= 1, 'the first instance commits', 90_000, a);
    const b = await start(sc, 'b');
    let own: number[] = [];
    let lagOwn = -1;
    await until(async () => {
      const m = await assignment(sc);
      if (!m?.get(a.clientId)?.length || !m.get(b.clientId)?.length) return false;
      own = m.get(b.clientId)!;
      lagOwn = await lagOf(sc, own);
      return true;
    }, 'both instances hold partitions');
    expect(lagOwn, `records left on partitions ${own} of the new instance when it got them`).toBeGreaterThan(0);
    await waitCaughtUp(sc);
    expect(await metric(b, ...COMMITTED), 'the new instance committed on its partitions').toBeGreaterThan(0);
    await Promise.all([stopGracefully(a), stopGracefully(b)]);
    await expectReference(sc, exp);
    console.log(`[processor-runtime] scale-out: the second instance got partitions ${own} with ${lagOwn} messages left on them; outputs identical`);
  });
});
