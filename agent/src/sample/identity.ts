/**
 * The VM's identity from the replies read once per QMP connection.
 *
 * Wire shapes:
 *   greeting         {"QMP": {"version": {"qemu": {major, minor, micro}, package}, capabilities}}
 *   query-version    {"qemu": {major, minor, micro}, package}
 *   query-uuid       {"UUID": "550e8400-…"}  ("00000000-0000-0000-0000-000000000000" when -uuid is unset)
 *   query-name       {"name"?: "vm1"}
 *   query-cpus-fast  [{"cpu-index", "qom-path", "thread-id", target, props}]
 *
 * `instanceId` names the QEMU process, not the connection: consumers reset every
 * counter and end the process's jobs, pauses and alerts when it changes, so it must
 * change when QEMU restarts, migrates or the host reboots, and must not change when
 * the agent restarts, its socket drops or Kafka is away. It hashes the sorted vCPU
 * thread ids with, when the agent could read them on the host, the start time of the
 * first vCPU thread (/proc/<tid>/stat field 22, clock ticks since boot) and the host's
 * boot id (agent/src/host/procfs.ts); a transcript without that `host` line gives the
 * thread ids alone. Without any thread id (query-cpus-fast failed) nothing names the
 * process, and the connect time is hashed instead: every connection is then a new
 * instance, the safe side (consumers drop one delta rather than compute a rate across
 * a reset).
 */
import { createHash } from 'node:crypto';
import { isUuid } from '#schemas/ids.js';
import type { VmIdentity } from '#schemas/types.js';
import { long, obj, objects, str, type JsonObject } from './json.js';

/** The QEMU process as the host sees it (`host` transcript line `qemu-process`). */
export interface QemuProcess {
  /** The vCPU thread whose /proc/<tid>/stat was read (the smallest id). */
  threadId: number;
  /** Field 22 of /proc/<tid>/stat: start time in clock ticks since boot. */
  startTime: number;
  /** /proc/sys/kernel/random/boot_id. */
  bootId: string;
}

export interface IdentityInput {
  /** Hypervisor host name the agent runs on. */
  host: string;
  /** Epoch ms when the agent connected (the greeting arrived): the id's last resort. */
  connectTime: number;
  /** Read on the host for the vCPU threads; absent in old transcripts or when /proc is not the host's. */
  process?: QemuProcess | undefined;
  greeting?: unknown;
  /** query-version `return`. */
  version?: unknown;
  /** query-uuid `return` (absent when not asked or failed). */
  uuid?: unknown;
  /** query-name `return`. */
  name?: unknown;
  /** query-cpus-fast `return`. */
  cpus?: unknown;
  /** Used when the VM has no name: e.g. the QMP socket's base name. */
  fallbackName?: string;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

function versionOf(qemu: JsonObject | undefined): string | undefined {
  const [major, minor, micro] = [long(qemu?.['major']), long(qemu?.['minor']), long(qemu?.['micro'])];
  return major === undefined || minor === undefined || micro === undefined ? undefined : `${major}.${minor}.${micro}`;
}

/** "major.minor.micro" from query-version, else the greeting; "unknown" without either. */
export function qemuVersionOf(version: unknown, greeting: unknown): string {
  const fromGreeting = obj(obj(obj(greeting)?.['QMP'])?.['version'])?.['qemu'];
  return versionOf(obj(obj(version)?.['qemu'])) ?? versionOf(obj(fromGreeting)) ?? 'unknown';
}

/** The vCPU thread ids of a query-cpus-fast reply, sorted. */
export function vcpuThreadIds(cpus: unknown): number[] {
  return (objects(cpus) ?? [])
    .map((c) => long(c['thread-id']))
    .filter((t): t is number => t !== undefined)
    .sort((a, b) => a - b);
}

/** Each vCPU's index (`cpu-index`, libvirt's vcpu.N) and thread id of a query-cpus-fast reply; entries lacking either are skipped. */
export function vcpuThreads(cpus: unknown): Array<{ index: number; tid: number }> {
  const out: Array<{ index: number; tid: number }> = [];
  for (const c of objects(cpus) ?? []) {
    const index = long(c['cpu-index']);
    const tid = long(c['thread-id']);
    if (index !== undefined && tid !== undefined) out.push({ index, tid });
  }
  return out;
}

/**
 * Hash of the sorted vCPU thread ids and, when read, the process start time and boot
 * id; of the connect time only when there is no thread id. 16 bytes, hex.
 */
export function instanceIdOf(threadIds: readonly number[], process: QemuProcess | undefined, connectTime: number): string {
  const threads = [...threadIds].sort((a, b) => a - b);
  const key =
    threads.length === 0
      ? { threads, connectTime }
      : process && threads.includes(process.threadId)
        ? { threads, startTime: process.startTime, bootId: process.bootId }
        : { threads };
  return createHash('sha256').update(JSON.stringify(key)).digest().subarray(0, 16).toString('hex');
}

/**
 * Builds the VmIdentity. Never throws: missing or malformed replies fall back. A
 * query-uuid reply that is not a uuid (schemas/src/ids.ts: names are data, but a uuid is
 * a uuid) counts as none: the uuid is then derived from the name, as without -uuid.
 */
export function toVmIdentity(input: IdentityInput): VmIdentity {
  const name = str(obj(input.name)?.['name']) || input.fallbackName || 'unknown';
  const uuid = str(obj(input.uuid)?.['UUID']);
  return {
    host: input.host,
    uuid: uuid && uuid !== ZERO_UUID && isUuid(uuid) ? uuid : `name:${name}`,
    name,
    instanceId: instanceIdOf(vcpuThreadIds(input.cpus), input.process, input.connectTime),
    qemuVersion: qemuVersionOf(input.version, input.greeting),
  };
}
