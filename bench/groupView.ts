/**
 * What a benchmark sees of a processor's consumer group from outside: each partition's
 * committed offset, whether the group is stable, and which member (by client id) holds
 * which partitions. Polled, never joined.
 */
import kafkajs from 'kafkajs';

export interface GroupView {
  /** performance.now() when read. */
  at: number;
  /** Committed offset by partition; -1 where none yet. */
  committed: number[];
  /** Members by client id with their partitions of `topic`, when the group is Stable; else null. */
  members: Map<string, number[]> | null;
}

export async function viewGroup(admin: kafkajs.Admin, groupId: string, topic: string, partitions: number): Promise<GroupView> {
  const [offsets, described] = await Promise.all([admin.fetchOffsets({ groupId, topics: [topic] }), admin.describeGroups([groupId])]);
  const committed = new Array<number>(partitions).fill(-1);
  for (const p of offsets[0]?.partitions ?? []) committed[p.partition] = Number(p.offset);
  const g = described.groups[0];
  let members: Map<string, number[]> | null = null;
  if (g?.state === 'Stable') {
    members = new Map();
    for (const m of g.members) {
      const a = kafkajs.AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      members.set(m.clientId, [...(members.get(m.clientId) ?? []), ...(a?.assignment[topic] ?? [])]);
    }
  }
  return { at: performance.now(), committed, members };
}

/** Polls every `everyMs` until `done(view)`; throws `what` after `timeoutMs`, or when `failed` rejects (a child died). */
export async function pollGroup(
  admin: kafkajs.Admin,
  g: { groupId: string; topic: string; partitions: number },
  done: (v: GroupView) => boolean,
  what: string,
  opts: { timeoutMs: number; everyMs?: number; failed?: Promise<never>; onView?: (v: GroupView) => void },
): Promise<GroupView> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    // NOT_COORDINATOR while the group's coordinator loads (a fresh group): ask again.
    const v = await viewGroup(admin, g.groupId, g.topic, g.partitions).catch((e: { retriable?: boolean }) => {
      if (e.retriable === true) return null;
      throw e;
    });
    if (v) opts.onView?.(v);
    if (v && done(v)) return v;
    if (Date.now() > deadline) throw new Error(`benchmark: ${what}: not within ${opts.timeoutMs} ms`);
    const tick = new Promise((r) => setTimeout(r, opts.everyMs ?? 200));
    await (opts.failed ? Promise.race([tick, opts.failed]) : tick);
  }
}

/** Stable with exactly these client ids, each holding at least one partition. */
export function stableWith(v: GroupView, clientIds: readonly string[]): boolean {
  return v.members !== null && v.members.size === clientIds.length && clientIds.every((c) => (v.members!.get(c)?.length ?? 0) > 0);
}
