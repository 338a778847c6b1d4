/**
 * The VM-level groups of `virsh domstats` from one Sample, in virsh's order and with its
 * names and units (libvirt's qemuDomainGetStatsCpu, qemuDomainGetStatsVcpu):
 *
 *   --state      state.state, state.reason: libvirt's own in stats mode, else the numbers
 *                libvirt's QEMU driver gives QMP's run state (processor domainState.ts); a
 *                running VM's reason is 0 (unknown) then: QMP does not say why it runs
 *   --cpu-total  cpu.time, cpu.user, cpu.system (ns): the Sample's µs × 1000. On a socket
 *                and through libvirt's qmp passthrough these are the QEMU process's
 *                utime + stime (procfs, 10 ms ticks); libvirt prints its domain cgroup's
 *                usage, so they differ by a few ticks and by any other process in the cgroup
 *   --balloon    balloon.<name> of each figure known (#schemas/memoryStats.ts), bytes as
 *                KiB rounded down as libvirt does. Without a balloon device libvirt prints
 *                its configured memory as balloon.current; this prints none
 *   --vcpu       vcpu.N.time (ns) of each vCPU read: libvirt reads the same thread times,
 *                so they are equal on a paused domain. vcpu.current, .maximum, .N.state and
 *                .N.wait are not printed (the Sample does not carry them)
 *
 * A group whose figures the Sample does not have prints nothing (unknown is not 0).
 */
import { MEMORY_STATS } from '#schemas/memoryStats.js';
import { domainStateOf } from '#processor/core/vm/domainState.js';
import type { Sample } from '#schemas/types.js';
import type { DomstatsEntry } from './domstats.js';

export const VM_GROUPS = ['state', 'cpu-total', 'balloon', 'vcpu'] as const;
export type VmGroup = (typeof VM_GROUPS)[number];

function state(s: Sample): DomstatsEntry[] {
  const [st, reason] = s.libvirtState ? [s.libvirtState.state, s.libvirtState.reason] : domainStateOf(s.status, -1, -1);
  return [
    ['state.state', st],
    ['state.reason', reason],
  ];
}

function cpuTotal(s: Sample): DomstatsEntry[] {
  const c = s.cpu;
  if (!c) return [];
  const out: DomstatsEntry[] = [];
  if (c.timeUs !== null) out.push(['cpu.time', c.timeUs * 1000]);
  if (c.userUs !== null) out.push(['cpu.user', c.userUs * 1000]);
  if (c.systemUs !== null) out.push(['cpu.system', c.systemUs * 1000]);
  return out;
}

function balloon(s: Sample): DomstatsEntry[] {
  const m = s.memory;
  if (!m) return [];
  const out: DomstatsEntry[] = [];
  for (const r of MEMORY_STATS) {
    const v = m[r.field];
    if (v !== null) out.push([`balloon.${r.libvirt}`, r.unit === 'bytes' ? Math.floor(v / 1024) : v]);
  }
  return out;
}

function vcpu(s: Sample): DomstatsEntry[] {
  return (s.cpu?.vcpus ?? []).map((v) => [`vcpu.${v.index}.time`, v.timeUs * 1000] as const);
}

/** The entries of the groups asked for, in virsh's group order. */
export function vmGroupEntries(s: Sample, groups: ReadonlySet<VmGroup>): DomstatsEntry[] {
  return [
    ...(groups.has('state') ? state(s) : []),
    ...(groups.has('cpu-total') ? cpuTotal(s) : []),
    ...(groups.has('balloon') ? balloon(s) : []),
    ...(groups.has('vcpu') ? vcpu(s) : []),
  ];
}
