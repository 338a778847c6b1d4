/**
 * Idle kafkajs clients must let the process sleep. kafkajs 2.2.4 re-arms a 1 ms timer per
 * connection forever once the connection has served a response (kafkajs issues #1556, #1704);
 * common/src/kafkajsRequestQueueGuard.ts stops that; every command installs it at its start
 * (installKafkajsGuards), and so does the test helpers' module (helpers/stack.ts).
 *
 * The clients here are built the way the agent and the processor build theirs
 * (`new Kafka(kafkaClientConfig(...))`): a producer (agent), a transactional producer
 * (processor partition owner) and a consumer-group member (processor, alert consumers). Each
 * serves requests, then everything idles and we count, over 3 s, the timer callbacks run in
 * this process (async_hooks `before` of 'Timeout' resources) and, on Linux, the main thread's
 * voluntary context switches (each is a sleep, i.e. a later wake-up).
 * The second idle cost is kafkajs's request time-out check, a 100 ms setInterval per open
 * connection (10/s each, 4 connections here: 40 timer callbacks/s with only the first guard);
 * common/src/kafkajsRequestTimeoutGuard.ts arms it only while a request is in flight. What
 * remains when idle: the consumer's fetch long-poll, always in flight (its connection's
 * check, 10/s), and its heartbeats. Unguarded 2.2.4 runs thousands of timer callbacks a
 * second here; with both guards about 10.
 */
import { createHook } from 'node:async_hooks';
import { existsSync, readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaClientConfig } from '#common/kafka.js';
import { kafkajsRequestQueueGuardInstalled } from '#common/kafkajsRequestQueueGuard.js';
import { createTopics, randomName, stack } from './helpers/index.js';

const { Kafka, Partitioners, logLevel } = kafkajs;

/** Whole-process bounds when idle; the unguarded library exceeds them many times over. */
const MAX_WAKEUPS_PER_S = 50;
/** One connection's time-out check (10/s) plus heartbeats; without the time-out guard, 40. */
const MAX_TIMER_CALLBACKS_PER_S = 20;
const WINDOW_MS = 3_000;

/** Counts timer callbacks from now until stop() (async_hooks; 'Timeout' covers setTimeout and setInterval). */
function timerCallbackCounter(): { count(): number; stop(): void } {
  const timers = new Set<number>();
  let n = 0;
  const hook = createHook({
    init: (id, type) => void (type === 'Timeout' && timers.add(id)),
    before: (id) => void (timers.has(id) && n++),
    destroy: (id) => void timers.delete(id),
  }).enable();
  return { count: () => n, stop: () => void hook.disable() };
}

/** Voluntary context switches of the main thread so far (Linux), or null where /proc has none. */
function mainThreadSleeps(): number | null {
  const file = `/proc/${process.pid}/task/${process.pid}/status`;
  if (!existsSync(file)) return null;
  const m = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(file, 'utf8'));
  return m ? Number(m[1]) : null;
}

describe('idle kafkajs clients (kafkajs #1556/#1704 busy loop)', () => {
  it(`wake the process at most ${MAX_WAKEUPS_PER_S} times and run at most ${MAX_TIMER_CALLBACKS_PER_S} timer callbacks a second once idle`, async () => {
    const topic = randomName('it-idle');
    await createTopics([topic]);
    const config = kafkaClientConfig({ clientId: 'qmpipe-it-idle', brokers: stack().kafkaBrokers, connectionTimeoutMs: 3_000, requestTimeoutMs: 30_000 });
    const kafka = new Kafka({ ...config, logLevel: logLevel.NOTHING });
    const guarded = kafkajsRequestQueueGuardInstalled();

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const txProducer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      transactionalId: randomName('it-idle-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const consumer = kafka.consumer({ groupId: randomName('it-idle-group') });
    const counter = timerCallbackCounter();
    try {
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value: 'plain' }] });
      await txProducer.connect();
      const txn = await txProducer.transaction();
      await txn.send({ topic, messages: [{ key: 'k', value: 'transactional' }] });
      await txn.commit();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let seen = 0;
      let caughtUp!: () => void;
      const both = new Promise<void>((resolve) => (caughtUp = resolve));
      await consumer.run({ eachMessage: async () => void (++seen === 2 && caughtUp()) });
      await both;
      await new Promise((r) => setTimeout(r, 1_000)); // let the last responses and commits settle

      const c0 = counter.count();
      const s0 = mainThreadSleeps();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, WINDOW_MS));
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const s1 = mainThreadSleeps();
      const timerCallbacksPerS = (counter.count() - c0) / seconds;
      const wakeupsPerS = s0 === null || s1 === null ? null : (s1 - s0) / seconds;
      const cpuMsPerS = (cpu.user + cpu.system) / 1000 / seconds;
      console.log(
        `[kafkajs-idle] guard ${guarded ? 'installed' : 'NOT installed'}: ${timerCallbacksPerS.toFixed(0)} timer callbacks/s, ` +
          `${wakeupsPerS === null ? 'n/a' : wakeupsPerS.toFixed(0)} main-thread wake-ups/s, ${cpuMsPerS.toFixed(1)} ms CPU/s over ${seconds.toFixed(1)} s`,
      );

      expect(timerCallbacksPerS).toBeLessThanOrEqual(MAX_TIMER_CALLBACKS_PER_S);
      if (wakeupsPerS !== null) expect(wakeupsPerS).toBeLessThanOrEqual(MAX_WAKEUPS_PER_S);
      expect(guarded).toBe(true);
    } finally {
      counter.stop();
      await consumer.disconnect();
      await txProducer.disconnect();
      await producer.disconnect();
    }
  });
});
