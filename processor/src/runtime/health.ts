/**
 * The processor's /healthz. Unhealthy (503, one line) while:
 * - its consumer is not in the group (not joined yet, crashed, disconnected, stopped);
 * - the group's coordinator has not answered a heartbeat for a session time-out (the
 *   broker is unreachable);
 * - a partition it owns has had lag (records past its committed position) but no commit for
 *   `metrics.healthStallSeconds`: stuck on a sink, a transaction or a poison batch.
 *
 * `GroupProgress` is what the Kafka runtime tells it (by partition number: owners come and
 * go, the partition stays); `processorHealth` decides, purely, at a given time.
 */
import { HEALTHY, unhealthy, type Health } from '#common/health.js';

export interface PartitionProgress {
  /** Since when this partition has been waiting for a commit: its last commit, else its assignment. */
  since: number;
  /** The next offset to commit (the last commit's, else the first fetched); absent until known. */
  position?: number;
  /** The partition's high watermark at the last fetch; absent until a batch came. */
  highWatermark?: number;
}

export interface GroupView {
  /** null while in the group; else why not. */
  outOfGroup: string | null;
  /** When the coordinator last answered a heartbeat (or the group was joined); absent before. */
  lastHeartbeat?: number;
  partitions: ReadonlyMap<number, PartitionProgress>;
}

export function processorHealth(v: GroupView, now: number, limits: { sessionTimeoutMs: number; stallMs: number }): Health {
  if (v.outOfGroup !== null) return unhealthy(`Kafka: not in the consumer group (${v.outOfGroup})`);
  if (v.lastHeartbeat !== undefined && now - v.lastHeartbeat > limits.sessionTimeoutMs)
    return unhealthy(`Kafka: no heartbeat answered for ${Math.round((now - v.lastHeartbeat) / 1000)} s (broker unreachable?)`);
  const stalled = [...v.partitions]
    .filter(([, p]) => p.position !== undefined && p.highWatermark !== undefined && p.highWatermark > p.position && now - p.since > limits.stallMs)
    .map(([n]) => n)
    .sort((a, b) => a - b);
  if (stalled.length > 0)
    return unhealthy(`partition${stalled.length > 1 ? 's' : ''} ${stalled.join(', ')}: lag but no commit for over ${Math.round(limits.stallMs / 1000)} s`);
  return HEALTHY;
}

/** What the Kafka runtime saw, kept for processorHealth. */
export class GroupProgress implements GroupView {
  outOfGroup: string | null = 'not joined yet';
  lastHeartbeat: number | undefined;
  readonly partitions = new Map<number, PartitionProgress>();

  joined(assigned: readonly number[], now: number): void {
    this.outOfGroup = null;
    this.lastHeartbeat = now;
    const keep = new Set(assigned);
    for (const p of this.partitions.keys()) if (!keep.has(p)) this.partitions.delete(p);
    for (const p of assigned) if (!this.partitions.has(p)) this.partitions.set(p, { since: now });
  }

  left(why: string): void {
    this.outOfGroup = why;
    this.partitions.clear();
  }

  heartbeat(now: number): void {
    this.lastHeartbeat = now;
  }

  fetched(partition: number, firstOffset: number, highWatermark: number): void {
    const p = this.partitions.get(partition);
    if (!p) return;
    p.position ??= firstOffset;
    p.highWatermark = highWatermark;
  }

  committed(partition: number, position: number, now: number): void {
    const p = this.partitions.get(partition);
    if (!p) return;
    p.position = position;
    p.since = now;
  }
}
