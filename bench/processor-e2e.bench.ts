/**
 * Issue 5 benchmark: the processor end to end through the real broker, as a ratio to
 * the core-only throughput measured in the same run, then scale-out (one instance, then
 * two, on a topic with several partitions), then alert latency (record appended → alert
 * visible to a read_committed consumer, p50/p99 at the default transaction cadence).
 *
 * Uses the stack in KAFKA_BROKERS / S3_* when set, else starts one with infra/ (own run
 * dir) and stops it at the end. On a 2-core machine the broker, the producer and the
 * processor share the cores: the e2e figures are bounded by that, not by the core.
 * Knobs: QMPIPE_BENCH_E2E_VMS (10000), QMPIPE_BENCH_E2E_TICKS (4), QMPIPE_BENCH_E2E_PARTITIONS (4).
 */
import type kafkajs from 'kafkajs';
import { decodeRaw, encodeRaw } from '#schemas/codecs/raw.js';
import { createCore } from '#processor/core/step.js';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { initialPartitionState, processBatch, type InputMessage } from '#processor/partition/partitionStep.js';
import { outputCodecs } from '#schemas/codecs/outputs.js';
import { emit, median } from './util.js';
import { fleet, thinTemplate, valuesOf } from './fleet.js';
import { type BenchStack, withBenchKafka } from './stack.js';
import { processorConfig, processorTopics, spawnProcessorChild, waitCommitted } from './processorChild.js';

const VMS = Number(process.env.QMPIPE_BENCH_E2E_VMS ?? 10_000);
const TICKS = Number(process.env.QMPIPE_BENCH_E2E_TICKS ?? 4);
const PARTITIONS = Number(process.env.QMPIPE_BENCH_E2E_PARTITIONS ?? 4);

interface Encoded {
  messages: Array<{ key: string; value: Buffer }>;
  values: number;
}

function encodeFleet(): Encoded {
  const messages: Encoded['messages'] = [];
  let values = 0;
  for (const r of fleet(VMS, TICKS)) {
    messages.push({ key: r.vm.uuid, value: encodeRaw(r) });
    values += valuesOf(r);
  }
  return { messages, values };
}

function coreValuesPerSecond(enc: Encoded, cfg: ReturnType<typeof loadProcessorRuntimeConfig>): number {
  const env = { core: createCore(cfg.core), decode: decodeRaw, allowedLatenessMs: cfg.rollups.allowedLatenessMs };
  const input: InputMessage[] = enc.messages.map((m, i) => ({ offset: i, timestamp: 0, key: Buffer.from(m.key), value: m.value }));
  const st = initialPartitionState('bench', 0);
  const t0 = performance.now();
  for (let i = 0; i < input.length; i += 5_000) processBatch(st, input.slice(i, i + 5_000), env);
  return enc.values / ((performance.now() - t0) / 1000);
}

async function e2eValuesPerSecond(s: BenchStack, kafka: kafkajs.Kafka, enc: Encoded, instances: number): Promise<number> {
  const id = `bench-e2e-${instances}-${Date.now()}`;
  const cfg = await processorTopics(s, kafka, id, PARTITIONS, enc?.messages ?? []);
  const children = Array.from({ length: instances }, () => spawnProcessorChild(cfg));
  try {
    const { seconds, fraction } = await Promise.race([
      waitCommitted(kafka, `${id}-g`, `${id}-raw`, enc.messages.length, 600_000),
      ...children.map((c) => c.exited),
    ]);
    return (enc.values * fraction) / seconds;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

/** Appends thin-LV VMs' records one tick at a time and times each alert from its record's append. */
async function alertLatencies(s: BenchStack, kafka: kafkajs.Kafka): Promise<number[]> {
  const id = `bench-lat-${Date.now()}`;
  const cfg = await processorTopics(s, kafka, id, PARTITIONS);
  const child = spawnProcessorChild({ ...cfg, kafka: { ...(cfg.kafka as object), maxBatchMessages: 500 } });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const consumer = kafka.consumer({ groupId: `${id}-reader`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic: `${id}-alerts`, fromBeginning: true }).catch(async () => {
    await new Promise((r) => setTimeout(r, 3_000));
    await consumer.subscribe({ topic: `${id}-alerts`, fromBeginning: true });
  });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const a = outputCodecs().alert.decode(message.value!);
      const sent = sentAt.get(`${a.labels.vmUuid}@${a.t}`);
      if (sent !== undefined) latencies.push(Date.now() - sent);
    },
  });
  const p = kafka.producer();
  await p.connect();
  const ticks = thinTemplate();
  const vms = 20;
  for (let k = 0; k < ticks.length; k++) {
    for (let i = 0; i < vms; i++) {
      const msgs = ticks[k]!.map((r) => ({ ...r, vm: { ...r.vm, uuid: `name:lat-${i}`, name: `lat-${i}` } }));
      const now = Date.now();
      for (const r of msgs) sentAt.set(`${r.vm.uuid}@${r.t}`, now);
      await p.send({ topic: `${id}-raw`, messages: msgs.map((r) => ({ key: r.vm.uuid, value: encodeRaw(r) })) });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 5_000));
  await p.disconnect();
  await consumer.disconnect();
  await child.stop();
  return latencies;
}

async function main(): Promise<void> {
  await withBenchKafka(async (s, kafka) => {
    const enc = encodeFleet();
    const cfg = loadProcessorRuntimeConfig({ raw: processorConfig(s, 'core') });
    const core = median([coreValuesPerSecond(enc, cfg), coreValuesPerSecond(enc, cfg), coreValuesPerSecond(enc, cfg)]);
    emit('processor_core_values_per_s', core, 'values/s');
    const one = await e2eValuesPerSecond(s, kafka, enc, 1);
    const coreAfter = coreValuesPerSecond(enc, cfg);
    emit('processor_e2e_values_per_s_1_instance', one, 'values/s');
    emit('processor_e2e_vs_core_ratio', one / median([core, coreAfter]), 'ratio');
    const two = await e2eValuesPerSecond(s, kafka, enc, 2);
    emit('processor_e2e_values_per_s_2_instances', two, 'values/s');
    emit('processor_scale_out_2_vs_1_ratio', two / one, 'ratio');
    const lat = await alertLatencies(s, kafka);
    const sorted = [...lat].sort((a, b) => a - b);
    emit('processor_alert_latency_p50', median(lat), 'ms');
    emit('processor_alert_latency_p99', sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? NaN, 'ms');
    emit('processor_alert_latency_samples', lat.length, 'count');
    emit('processor_e2e_fleet_vms', VMS, 'vms');
  });
}

/**
 * The processor runs with NODE_OPTIONS=--max-semi-space-size=32 (processor/README.md,
 * infra/deploy), and so does the child here: measure the core under the same flag, or
 * the ratio compares two heaps. Re-runs this file with it unless it is already set.
 */
const SEMI = '--max-semi-space-size=32';
if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size')) && !(process.env.NODE_OPTIONS ?? '').includes('--max-semi-space-size')) {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const res = spawnSync(process.execPath, [SEMI, ...process.execArgv, fileURLToPath(import.meta.url)], { stdio: 'inherit' });
  process.exit(res.status ?? 1);
}

await main();
