/**
 * The scale-out bench's raw topic and instances: a topic of P partitions filled from the
 * fleet (VM i on partition i mod P, so the values behind every offset are known), and
 * `qmpipe processor` instances on it, each with its own group-wide name and client id,
 * each in its own CPU cgroup when there are any.
 */
import type kafkajs from 'kafkajs';
import { readFileSync } from 'node:fs';
import { encodeRaw } from '#schemas/codecs/raw.js';
import type { RawRecord } from '#schemas/types.js';
import type { CpuGroup } from './cgroup.js';
import { fleetTicks, valuesOf, vmIndex } from './fleet.js';
import { processorConfig, processorTopics, spawnProcessorChild, type ProcessorChild } from './processorChild.js';
import type { BenchStack } from './stack.js';

export interface RawTopic {
  id: string;
  raw: string;
  schemas: string;
  partitions: number;
  /** prefix[p][o]: values in partition p's records below offset o. */
  prefix: number[][];
}

/** Creates the raw and schema topics (the raw schema registered) and the bucket. */
export async function createRawTopic(s: BenchStack, kafka: kafkajs.Kafka, id: string, partitions: number): Promise<RawTopic> {
  await processorTopics(s, kafka, id, partitions);
  return { id, raw: `${id}-raw`, schemas: `${id}-schemas`, partitions, prefix: Array.from({ length: partitions }, () => [0]) };
}

/** Appends records to the topic (VM i to partition i mod P) and to its prefix sums. */
export async function append(producer: kafkajs.Producer, t: RawTopic, records: readonly RawRecord[]): Promise<void> {
  const messages: kafkajs.Message[] = [];
  for (const r of records) {
    const partition = vmIndex(r) % t.partitions;
    const pre = t.prefix[partition]!;
    pre.push(pre[pre.length - 1]! + valuesOf(r));
    messages.push({ key: r.vm.uuid, value: encodeRaw(r), partition });
  }
  for (let i = 0; i < messages.length; i += 2_000) await producer.send({ topic: t.raw, messages: messages.slice(i, i + 2_000) });
}

/** A backlog: the fleet's `ticks` ticks of `vms` VMs, all appended before anything consumes. */
export async function fillBacklog(kafka: kafkajs.Kafka, t: RawTopic, vms: number, ticks: number): Promise<number> {
  const producer = kafka.producer();
  await producer.connect();
  let n = 0;
  try {
    for (const tick of fleetTicks(vms, ticks)) {
      await append(producer, t, tick);
      n += tick.length;
    }
  } finally {
    await producer.disconnect();
  }
  return n;
}

/** Values in the records between two committed offsets, over all partitions. */
export function valuesBetween(t: RawTopic, from: readonly number[], to: readonly number[]): number {
  let v = 0;
  for (let p = 0; p < t.partitions; p++) v += t.prefix[p]![Math.max(0, to[p]!)]! - t.prefix[p]![Math.max(0, from[p]!)]!;
  return v;
}

export interface Instance {
  clientId: string;
  child: ProcessorChild;
}

/** A processor config file's contents, with what the bench reads of it typed. */
export interface RunConfig {
  kafka: { groupId: string; alertsTopic: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** The config of one run of instances on `t`: its own group, output topics, transactional ids and bucket, named after `runId`. */
export function runConfig(s: BenchStack, t: RawTopic, runId: string): RunConfig {
  const cfg = processorConfig(s, runId);
  const kafka = cfg.kafka as RunConfig['kafka'];
  return {
    ...cfg,
    kafka: { ...kafka, rawTopic: t.raw, schemaTopic: t.schemas, rawPartitions: t.partitions },
    s3: { ...(cfg.s3 as object), createBucket: 'on' },
  };
}

/** Starts instance `name` of a run, in `cgroup` if any; `onLine` gets its log lines. */
export function startInstance(cfg: RunConfig, name: string, cgroup: CpuGroup | undefined, onLine?: (l: string) => void): Instance {
  const clientId = `${cfg.kafka.groupId}-${name}`;
  const child = spawnProcessorChild({ ...cfg, kafka: { ...cfg.kafka, clientId } }, { cgroup, onLine });
  return { clientId, child };
}

/** A take-over, from an instance's `partition owned` log line (info): it replays silently from checkpointOffset to committedOffset. */
export interface TakeOver {
  /** performance.now() when the line came. */
  at: number;
  partition: number;
  checkpointOffset: number;
  committedOffset: number;
}

/** Collects the take-overs of instances whose log lines it is given (their config at log level info). */
export function takeOvers(): { seen: TakeOver[]; onLine(line: string): void } {
  const seen: TakeOver[] = [];
  return {
    seen,
    onLine(line) {
      if (!line.includes('"partition owned"')) return;
      const o = JSON.parse(line) as { partition: number; checkpointOffset: number; committedOffset: number };
      seen.push({ at: performance.now(), partition: o.partition, checkpointOffset: o.checkpointOffset, committedOffset: o.committedOffset });
    },
  };
}

/** Values a take-over replays silently. */
export function replayedValues(t: RawTopic, o: TakeOver): number {
  const pre = t.prefix[o.partition]!;
  return pre[Math.min(o.committedOffset, pre.length - 1)]! - pre[Math.min(o.checkpointOffset, pre.length - 1)]!;
}

const CLK_TCK = 100;

/** CPU seconds (user + system, all threads) a process has used so far; null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** The machine's 1-minute load average. */
export function loadAvg(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
