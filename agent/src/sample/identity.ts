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
 * `instanceId` must change whenever QEMU restarts (every counter resets with it):
 * it hashes the vCPU thread ids (new threads in a new process) with the connect
 * time. The agent cannot tell a restart from a reconnect, so a reconnect also yields
 * a new instance — the safe side: consumers drop one delta instead of computing a
 * rate across a reset.
 */
import { createHash } from 'node:crypto';
import type { VmIdentity } from '#schemas/types.js';
import { long, obj, objects, str, type JsonObject } from './json.js';

export interface IdentityInput {
  /** Hypervisor host name the agent runs on. */
  host: string;
  /** Epoch ms when the agent connected (the greeting arrived). */
  connectTime: number;
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

/** Hash of (sorted vCPU thread ids, connect time): 16 bytes, hex. */
export function instanceIdOf(threadIds: readonly number[], connectTime: number): string {
  const text = JSON.stringify({ threads: [...threadIds].sort((a, b) => a - b), connectTime });
  return createHash('sha256').update(text).digest().subarray(0, 16).toString('hex');
}

/** Builds the VmIdentity. Never throws: missing or malformed replies fall back. */
export function toVmIdentity(input: IdentityInput): VmIdentity {
  const name = str(obj(input.name)?.['name']) || input.fallbackName || 'unknown';
  const uuid = str(obj(input.uuid)?.['UUID']);
  return {
    host: input.host,
    uuid: uuid && uuid !== ZERO_UUID ? uuid : `name:${name}`,
    name,
    instanceId: instanceIdOf(vcpuThreadIds(input.cpus), input.connectTime),
    qemuVersion: qemuVersionOf(input.version, input.greeting),
  };
}
