/**
 * Idle CPU of a process holding one idle kafkajs producer connected to the real broker, with
 * and without common/src/kafkajsRequestQueueGuard.ts (kafkajs 2.2.4's busy loop, kafkajs
 * issues #1556/#1704) (`npm run bench -- kafkajs-idle`).
 *
 * Each measurement is a fresh child process (the guard patches kafkajs process-wide): it
 * connects a producer, sends one record (from then on an unguarded connection spins), waits
 * SETTLE_MS, then measures CPU (user+system) and main-thread voluntary context switches
 * (Linux; each is a sleep, so a later wake-up) over WINDOW_MS. Guarded and unguarded
 * children alternate, ROUNDS each; medians are printed as JSON lines.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { installKafkajsRequestQueueGuard } from '#common/kafkajsRequestQueueGuard.js';
import { benchStack } from './stack.js';
import { emit, median } from './util.js';

const ROUNDS = 3;
const SETTLE_MS = 2_000;
const WINDOW_MS = 5_000;
const CHILD = '--kafkajs-idle-child';

interface IdleSample {
  cpuMsPerS: number;
  wakeupsPerS: number | null;
}

function mainThreadSleeps(): number | null {
  const file = `/proc/${process.pid}/task/${process.pid}/status`;
  if (!existsSync(file)) return null;
  const m = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(file, 'utf8'));
  return m ? Number(m[1]) : null;
}

/** The child: one producer, one record, then idle; prints one IdleSample as JSON. */
async function child(brokers: string[], topic: string, guarded: boolean): Promise<void> {
  if (guarded) installKafkajsRequestQueueGuard();
  const kafka = new kafkajs.Kafka({ clientId: 'qmpipe-bench-idle', brokers, logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'k', value: 'v' }] });
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const s0 = mainThreadSleeps();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const s1 = mainThreadSleeps();
  const sample: IdleSample = { cpuMsPerS: (cpu.user + cpu.system) / 1000 / seconds, wakeupsPerS: s0 === null || s1 === null ? null : (s1 - s0) / seconds };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
  await producer.disconnect();
}

function measure(brokers: string[], topic: string, guarded: boolean): Promise<IdleSample> {
  return new Promise((resolve, reject) => {
    const args = [fileURLToPath(import.meta.url), CHILD, brokers.join(','), topic, guarded ? 'guarded' : 'unguarded'];
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`benchmark: kafkajs-idle child exited with ${code}`));
      resolve(JSON.parse(out.trim()) as IdleSample);
    });
  });
}

async function main(): Promise<void> {
  const s = await benchStack();
  try {
    const topic = `bench-idle-${process.pid}`;
    const admin = new kafkajs.Kafka({ brokers: s.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const runs: Record<'guarded' | 'unguarded', IdleSample[]> = { guarded: [], unguarded: [] };
    for (let i = 0; i < ROUNDS; i++) {
      runs.unguarded.push(await measure(s.brokers, topic, false));
      runs.guarded.push(await measure(s.brokers, topic, true));
    }
    process.stderr.write(`# kafkajs-idle samples ${JSON.stringify(runs)}\n`);
    for (const k of ['guarded', 'unguarded'] as const) {
      emit(`kafkajs_idle_producer_cpu_ms_per_s_${k}`, median(runs[k].map((r) => r.cpuMsPerS)), 'ms/s');
      const w = runs[k].map((r) => r.wakeupsPerS).filter((x): x is number => x !== null);
      if (w.length > 0) emit(`kafkajs_idle_producer_wakeups_per_s_${k}`, median(w), '1/s');
    }
  } finally {
    await s.stop();
  }
}

const [, , flag, brokers, topic, mode] = process.argv;
if (flag === CHILD) await child(brokers!.split(','), topic!, mode === 'guarded');
else await main();
