import kafkajs, { type Assigner, type Consumer, type ConsumerConfig, type GroupMember, type Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '#common/log.js';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { GroupProgress } from '../health.js';
import { processorTelemetry } from '../telemetry.js';
import { ProcessorRuntime, type RuntimeDeps } from './runtime.js';
import { heldOf, STICKY_ASSIGNER, stickyAssignment } from './stickyAssigner.js';

const P24 = Array.from({ length: 24 }, (_, i) => i);
const RAW = 'raw';

/** Partitions whose holder differs between two assignments. */
function moved(before: ReadonlyMap<string, readonly number[]>, after: ReadonlyMap<string, readonly number[]>): number[] {
  const holder = (m: ReadonlyMap<string, readonly number[]>) => new Map([...m].flatMap(([id, ps]) => ps.map((p) => [p, id] as const)));
  const [a, b] = [holder(before), holder(after)];
  return [...b].filter(([p, id]) => a.get(p) !== id).map(([p]) => p);
}

function expectPartition(a: Map<string, number[]>, partitions: readonly number[]): void {
  const all = [...a.values()].flat().sort((x, y) => x - y);
  expect(all, 'every partition exactly once').toEqual([...partitions].sort((x, y) => x - y));
  const counts = [...a.values()].map((ps) => ps.length);
  expect(Math.max(...counts) - Math.min(...counts), `balanced: ${counts}`).toBeLessThanOrEqual(1);
}

describe('stickyAssignment', () => {
  it('a third member joining two takes 8 of 24 partitions, 4 from each; nothing else moves', () => {
    const before = new Map([
      ['a', P24.filter((p) => p % 2 === 0)],
      ['b', P24.filter((p) => p % 2 === 1)],
    ]);
    const after = stickyAssignment(P24, [...before].map(([id, held]) => ({ id, held })).concat({ id: '0-new', held: [] }));
    expectPartition(after, P24);
    expect(after.get('0-new')).toHaveLength(8);
    expect(moved(before, after).sort((x, y) => x - y)).toEqual(after.get('0-new'));
    expect(after.get('a')!.every((p) => p % 2 === 0)).toBe(true);
  });

  it('a member gone: only its partitions move, to the others', () => {
    const before = new Map([
      ['a', P24.slice(0, 8)],
      ['b', P24.slice(8, 16)],
      ['c', P24.slice(16)],
    ]);
    const after = stickyAssignment(P24, [
      { id: 'a', held: before.get('a')! },
      { id: 'c', held: before.get('c')! },
    ]);
    expectPartition(after, P24);
    expect(moved(before, after).sort((x, y) => x - y)).toEqual(P24.slice(8, 16));
  });

  it('an uneven count: the extra partitions stay with members that held them', () => {
    const after = stickyAssignment(P24.slice(0, 7), [
      { id: 'a', held: [0, 1, 2, 3] },
      { id: 'b', held: [4, 5, 6] },
      { id: 'c', held: [] },
    ]);
    expectPartition(after, P24.slice(0, 7));
    expect(after.get('a')).toEqual([0, 1, 2]);
    expect(after.get('b')).toEqual([4, 5]);
    expect(after.get('c')).toEqual([3, 6]);
  });

  it('claims that conflict, name missing partitions or repeat: every partition still exactly once, balanced', () => {
    for (let seed = 1; seed <= 200; seed++) {
      let x = seed;
      const rnd = (n: number) => {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        return x % n;
      };
      const partitions = P24.slice(0, 1 + rnd(24));
      const members = Array.from({ length: 1 + rnd(6) }, (_, i) => ({ id: `m${i}`, held: Array.from({ length: rnd(10) }, () => rnd(30)) }));
      expectPartition(stickyAssignment(partitions, members), partitions);
    }
  });

  it('no members: nothing assigned', () => {
    expect(stickyAssignment(P24, []).size).toBe(0);
  });
});

describe('heldOf', () => {
  const member = (userData: Buffer) => ({
    memberId: 'm',
    memberMetadata: kafkajs.AssignerProtocol.MemberMetadata.encode({ version: 1, topics: [RAW], userData }),
  });

  it('reads what a member says it holds; anything else is nothing held', () => {
    expect(heldOf(member(Buffer.from(JSON.stringify({ held: [[RAW, [1, 2]]] }))))).toEqual(new Map([[RAW, [1, 2]]]));
    for (const bad of ['', 'not json', '{"held":{"raw":[1]}}', '{"held":[["raw",[-1]]]}', '{"held":[[1,[1]]]}', 'null'])
      expect(heldOf(member(Buffer.from(bad))), bad).toEqual(new Map());
    expect(heldOf({ memberId: 'm', memberMetadata: Buffer.from([1, 2, 3]) })).toEqual(new Map());
  });
});

/** A ProcessorRuntime on a Kafka whose consumer records its options and its GROUP_JOIN handler, and does nothing else. */
async function capturedRuntime(): Promise<{ assigners: ConsumerConfig['partitionAssigners']; join(partitions: number[]): void }> {
  let options: ConsumerConfig | undefined;
  const handlers = new Map<string, (e: unknown) => void>();
  const events = new kafkajs.Kafka({ brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING }).consumer({ groupId: 'g' }).events;
  const consumer = {
    events,
    on: (event: string, h: (e: unknown) => void) => handlers.set(event, h),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async () => undefined,
  };
  const kafka = {
    consumer: (o: ConsumerConfig) => {
      options = o;
      return consumer as unknown as Consumer;
    },
  } as unknown as Kafka;
  const cfg = loadProcessorRuntimeConfig({ raw: { kafka: { brokers: ['127.0.0.1:1'], rawTopic: RAW }, s3: { bucket: 'bucket' } } });
  const telemetry = processorTelemetry();
  const deps = { kafka, log: silentLogger, telemetry, progress: new GroupProgress(), sinks: [] } as unknown as RuntimeDeps;
  await new ProcessorRuntime(cfg, deps).start();
  return {
    assigners: options!.partitionAssigners,
    join: (partitions) => handlers.get(events.GROUP_JOIN)!({ payload: { memberAssignment: { [RAW]: partitions } } }),
  };
}

describe('the runtime joins its group with the sticky assigner', () => {
  it('a third instance joining two moves 8 of 24 partitions (round-robin, the old default, moved 16)', async () => {
    const cluster = { findTopicPartitionMetadata: () => P24.map((partitionId) => ({ partitionId })) };
    const instances = await Promise.all([capturedRuntime(), capturedRuntime(), capturedRuntime()]);
    // Without partitionAssigners kafkajs uses round-robin: what the old runtime got.
    const assignerOf = (r: (typeof instances)[number]): Assigner =>
      (r.assigners?.[0] ?? kafkajs.PartitionAssigners.roundRobin)({ cluster, groupId: 'g', logger: undefined } as never);
    const ids = ['b-first', 'c-second', 'a-joins'];
    const run = async (n: number): Promise<Map<string, number[]>> => {
      const members: GroupMember[] = instances
        .slice(0, n)
        .map((r, i) => ({ memberId: ids[i]!, memberMetadata: assignerOf(r).protocol({ topics: [RAW] }).metadata }));
      const out = await assignerOf(instances[0]!).assign({ members, topics: [RAW] });
      const got = new Map(out.map((a) => [a.memberId, kafkajs.AssignerProtocol.MemberAssignment.decode(a.memberAssignment)?.assignment[RAW] ?? []]));
      for (let i = 0; i < n; i++) instances[i]!.join(got.get(ids[i]!) ?? []);
      return got;
    };
    const two = await run(2);
    const three = await run(3);
    expect(moved(two, three), 'partitions moved by the join').toHaveLength(8);
    expect(three.get('a-joins')).toHaveLength(8);
    expect(assignerOf(instances[0]!).name).toBe(STICKY_ASSIGNER);
    // Round-robin second: a group with members of an older release agrees on it during a rolling upgrade.
    expect(instances[0]!.assigners?.map((a) => a({ cluster } as never).name)).toEqual([STICKY_ASSIGNER, 'RoundRobinAssigner']);
  });
});
