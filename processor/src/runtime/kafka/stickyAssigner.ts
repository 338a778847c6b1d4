/**
 * Sticky partition assignment for the processor's consumer group. kafkajs 2.2.4 ships only
 * a round-robin assigner, which deals every partition out again on each rebalance in the
 * order of the members' random ids: a third instance joining two moved 16 of 24 partitions
 * (bench `scale-out`), where 8 have to, and every partition that moves costs a take-over
 * (fencing, the checkpoint read) and a silent replay from its last checkpoint.
 *
 * Here each member says in its join (the protocol's user data) which partitions it held,
 * and the leader lets every member keep what it held up to its fair share (⌊P/N⌋, or one
 * more for P mod N of them), then deals out only the rest. The consumer lists this
 * assigner first and round-robin second: the group uses the first protocol all members
 * name, so during a rolling upgrade from a release without it the group stays on
 * round-robin until the last old member is gone.
 */
import kafkajs, { type GroupMember, type PartitionAssigner } from 'kafkajs';

export const STICKY_ASSIGNER = 'QmpipeStickyAssigner';
const VERSION = 1;

/** Who holds what: one topic's partitions, each member's previous holding → each member's new one (every member present, sorted). */
export function stickyAssignment(partitions: readonly number[], members: ReadonlyArray<{ id: string; held: readonly number[] }>): Map<string, number[]> {
  const ids = [...new Set(members.map((m) => m.id))].sort();
  const out = new Map<string, number[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const exists = new Set(partitions);
  const heldBy = new Map<string, number[]>(ids.map((id) => [id, []]));
  for (const m of members) heldBy.get(m.id)!.push(...m.held.filter((p) => exists.has(p)));
  const base = Math.floor(partitions.length / ids.length);
  let extra = partitions.length % ids.length;
  // Those that held most keep first, so the extra partitions stay where they are.
  const order = [...ids].sort((a, b) => heldBy.get(b)!.length - heldBy.get(a)!.length || (a < b ? -1 : 1));
  const taken = new Set<number>();
  for (const id of order) {
    const kept = out.get(id)!;
    for (const p of [...new Set(heldBy.get(id)!)].sort((a, b) => a - b)) {
      if (kept.length >= base + (extra > 0 ? 1 : 0)) break;
      if (taken.has(p)) continue;
      taken.add(p);
      kept.push(p);
    }
    if (kept.length > base) extra--;
  }
  const target = new Map<string, number>();
  for (const id of order) {
    const n = out.get(id)!.length;
    target.set(id, n > base ? n : base + (extra > 0 ? 1 : 0));
    if (n <= base && extra > 0) extra--;
  }
  const free = [...exists].filter((p) => !taken.has(p)).sort((a, b) => a - b);
  for (const id of order) {
    const got = out.get(id)!;
    while (got.length < target.get(id)! && free.length > 0) got.push(free.shift()!);
    got.sort((a, b) => a - b);
  }
  return out;
}

/** What a member says it held, from its join metadata; nothing when the user data is not ours or not valid. */
export function heldOf(member: GroupMember): Map<string, number[]> {
  const held = new Map<string, number[]>();
  try {
    const userData = kafkajs.AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.userData;
    const parsed: unknown = userData && userData.length > 0 ? JSON.parse(userData.toString('utf8')) : null;
    const topics = (parsed as { held?: unknown } | null)?.held;
    if (!Array.isArray(topics)) return held;
    for (const t of topics as unknown[]) {
      const [topic, ps] = Array.isArray(t) ? t : [];
      if (typeof topic === 'string' && Array.isArray(ps) && ps.every((p) => Number.isInteger(p) && p >= 0)) held.set(topic, ps as number[]);
    }
  } catch {
    // not a member of this release: it held nothing we know of
  }
  return held;
}

/** The assigner; `held` says which partitions this member holds now (the last assignment it got), for its next join. */
export function stickyAssigner(held: () => ReadonlyMap<string, readonly number[]>): PartitionAssigner {
  return ({ cluster }) => ({
    name: STICKY_ASSIGNER,
    version: VERSION,
    async assign({ members, topics }) {
      const byMember = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, Object.create(null) as Record<string, number[]>]));
      const claims = members.map((m) => ({ id: m.memberId, held: heldOf(m) }));
      for (const topic of topics) {
        const partitions = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId);
        const a = stickyAssignment(
          partitions,
          claims.map((c) => ({ id: c.id, held: c.held.get(topic) ?? [] })),
        );
        for (const [id, ps] of a) if (ps.length > 0) byMember.get(id)![topic] = ps;
      }
      return [...byMember].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: kafkajs.AssignerProtocol.MemberAssignment.encode({ version: VERSION, assignment, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      const userData = Buffer.from(JSON.stringify({ held: [...held()] }), 'utf8');
      return { name: STICKY_ASSIGNER, metadata: kafkajs.AssignerProtocol.MemberMetadata.encode({ version: VERSION, topics, userData }) };
    },
  });
}
