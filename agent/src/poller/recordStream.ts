/**
 * One VM's stream of records to the sink: every record carries the VM's current
 * identity, the stream's `runId` and the next `seq` of its uuid (0, 1, 2, … for the
 * stream's lifetime, across reconnects: a socket may serve another VM after a restart,
 * and come back); a stats schema snapshot goes out once per distinct content per QEMU
 * instance. Nothing is published before the VM is identified or after `close`.
 *
 * A run is one stream: one poll loop of one agent process. Its id is random, so a
 * restarted agent (or a VM's socket that vanished and came back: a new poll loop) starts
 * a new run at seq 0, which a consumer tells from a gap by the new id. seq is not kept
 * across restarts: what a killed agent lost from its spool's memory tier is counted by
 * the next start (spool/memoryMarker.ts), and a seq persisted per record would cost a
 * write per record or, written in steps, reuse numbers after a kill.
 */
import { randomUUID } from 'node:crypto';
import type { RawBody, VmIdentity } from '#schemas/types.js';
import type { AgentTelemetry } from '../telemetry.js';
import type { RecordSink } from './sink.js';

export class VmRecordStream {
  identity: VmIdentity | undefined;
  /** This stream's run: in every record it publishes. */
  readonly runId: string = randomUUID();
  private readonly seqs = new Map<string, number>();
  private readonly snapshots = new Set<string>();
  private closed = false;

  constructor(
    private readonly sink: RecordSink,
    private readonly telemetry: AgentTelemetry,
  ) {}

  /** The identity read at a (re)connect; a new QEMU instance gets its snapshots again. */
  identify(identity: VmIdentity): void {
    if (this.identity?.instanceId !== identity.instanceId) this.snapshots.clear();
    this.identity = identity;
  }

  publish(body: RawBody, t: number): void {
    if (!this.identity || this.closed) return;
    const uuid = this.identity.uuid;
    const seq = this.seqs.get(uuid) ?? 0;
    this.seqs.set(uuid, seq + 1);
    this.sink.publish(uuid, { vm: this.identity, seq, runId: this.runId, t, body });
    this.telemetry.recordsQueued.inc({ kind: body.kind });
  }

  snapshot(snap: { hash: string } & object, t: number): void {
    if (this.snapshots.has(snap.hash)) return;
    this.snapshots.add(snap.hash);
    this.publish({ kind: 'StatsSchemaSnapshot', value: snap } as RawBody, t);
  }

  close(): void {
    this.closed = true;
  }
}
