/**
 * What a libvirt stats record says of the VM as a whole, pure: the `cpu-total` group
 * (VIR_DOMAIN_STATS_CPU_TOTAL) and the vCPU group's `vcpu.N.time` → the Sample's CPU
 * times. libvirt's names, as `virsh domstats --cpu-total --vcpu` prints them:
 *
 *   cpu.time, cpu.user, cpu.system   ns; the domain cgroup's cpuacct usage and user/system
 *                                    split (or /proc/<pid>/stat without a cgroup)
 *   vcpu.N.time                      ns; utime + stime of the vCPU thread
 *
 * The Sample carries µs (raw.avsc CpuTimes): ns / 1000, rounded down.
 *
 * And the balloon group (VIR_DOMAIN_STATS_BALLOON) → the Sample's memory: `balloon.<name>`
 * of each row of #schemas/memoryStats.ts, KiB → bytes (× 1024); `last-update` 0 (the guest
 * never reported) is unknown. libvirt asks QEMU for the guest's figures on every call.
 */
import { MEMORY_STATS, emptyMemoryStats, type MemoryStats } from '#schemas/memoryStats.js';
import type { CpuTimes } from '#schemas/types.js';
import type { TypedParam, TypedParamValue } from './typedParams.js';

/** A 64-bit or 32-bit number of ns as µs; undefined for any other type. */
function micros(v: TypedParamValue | undefined): number | undefined {
  if (!v || v.type === 'string' || v.type === 'boolean' || v.type === 'double') return undefined;
  const x = v.value; // a 64-bit value is a number when exact, a bigint past 2^53 (typedParams.ts)
  if (typeof x === 'bigint') return x < 0n ? undefined : Number(x / 1000n);
  return x < 0 ? undefined : Math.floor(x / 1000);
}

const VCPU_TIME = /^vcpu\.(\d+)\.time$/;

/** The CPU times of a stats record; null when it has none of them (the groups were not asked for). */
export function cpuFromStats(params: readonly TypedParam[], p: ReadonlyMap<string, TypedParamValue>): CpuTimes | null {
  const vcpus: CpuTimes['vcpus'] = [];
  for (const { field, value } of params) {
    const m = VCPU_TIME.exec(field);
    const us = m ? micros(value) : undefined;
    if (us !== undefined) vcpus.push({ index: Number(m![1]), timeUs: us });
  }
  const timeUs = micros(p.get('cpu.time')) ?? null;
  const userUs = micros(p.get('cpu.user')) ?? null;
  const systemUs = micros(p.get('cpu.system')) ?? null;
  if (timeUs === null && userUs === null && systemUs === null && vcpus.length === 0) return null;
  return { timeUs, userUs, systemUs, vcpus };
}

/** A non-negative integer of any numeric type; undefined otherwise. */
function whole(v: TypedParamValue | undefined): number | undefined {
  if (!v || v.type === 'string' || v.type === 'boolean' || v.type === 'double') return undefined;
  const x = v.value;
  if (typeof x === 'bigint') return x < 0n || x > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(x);
  return x < 0 ? undefined : x;
}

/** The memory figures of a stats record; null when it has none (the balloon group was not asked for). */
export function memoryFromStats(p: ReadonlyMap<string, TypedParamValue>): MemoryStats | null {
  const m = emptyMemoryStats();
  let any = false;
  for (const row of MEMORY_STATS) {
    const v = whole(p.get(`balloon.${row.libvirt}`));
    if (v === undefined || (row.field === 'lastUpdate' && v === 0)) continue;
    m[row.field] = row.unit === 'bytes' ? v * 1024 : v;
    any = true;
  }
  return any ? m : null;
}
