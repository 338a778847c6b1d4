/**
 * The processor's and the rollup writer's consumer-group offsets on the real broker, and
 * the waits built on them: how far each group has committed against the end of its topic.
 */
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { kafkaClient } from './helpers/index.js';
import type { Scenario } from './processor-support.js';

type GroupOffsets = { committed: Map<number, number>; ends: Map<number, number> };

/** A group's committed offset per partition of `topic` (0 where none) and the partitions' ends; empty when the topic does not exist. */
async function groupOffsets(topic: string, groupId: string, clientId: string): Promise<GroupOffsets> {
  const admin = kafkaClient(clientId).admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return { committed: new Map(), ends: new Map() };
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, Number(e.high)]));
    const fetched = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions;
    const committed = new Map([...ends.keys()].map((p) => [p, Math.max(0, Number(fetched.find((c) => c.partition === p)?.offset ?? 0))]));
    return { committed, ends };
  } finally {
    await admin.disconnect();
  }
}

function lag({ committed, ends }: GroupOffsets, partitions?: readonly number[]): number {
  let n = 0;
  for (const [p, end] of ends) if (!partitions || partitions.includes(p)) n += Math.max(0, end - committed.get(p)!);
  return n;
}

/** The processor group's committed offset per raw-topic partition (0 where none), and the partitions' ends. */
export function offsets(sc: Scenario): Promise<GroupOffsets> {
  const cfg = loadProcessorRuntimeConfig({ raw: sc.cfg });
  return groupOffsets(sc.raw, cfg.kafka.groupId, 'it-offsets');
}

/** Messages of the raw topic (of `partitions`, default all) not yet committed by the processor's group. */
export async function lagOf(sc: Scenario, partitions?: readonly number[]): Promise<number> {
  return lag(await offsets(sc), partitions);
}

export function total(m: ReadonlyMap<number, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}

/**
 * The rollup writer's committed offset per rollups-topic partition (0 where none) and the
 * partitions' ends: it has stored every window the processor published when they are equal.
 */
export function writerOffsets(sc: Scenario): Promise<GroupOffsets> {
  const cfg = loadProcessorRuntimeConfig({ raw: sc.cfg });
  return groupOffsets(cfg.kafka.rollupsTopic, cfg.rollupWriter.groupId, 'it-writer-offsets');
}

/** Rollups-topic records (markers included) the writer has not committed yet. */
export async function writerLagOf(sc: Scenario): Promise<number> {
  return lag(await writerOffsets(sc));
}

/**
 * Waits until the group's committed offsets reach the end of every raw partition and,
 * unless `writer` is false, the rollup writer's reach the end of the rollups topic.
 */
export async function waitCaughtUp(sc: Scenario, timeoutMs = 120_000, { writer = true } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const behind = await lagOf(sc);
    const writerBehind = behind === 0 && writer ? await writerLagOf(sc) : 0;
    if (behind === 0 && writerBehind === 0) return;
    if (Date.now() > deadline) throw new Error(`processor still ${behind} messages behind, rollup writer ${writerBehind} records, after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
