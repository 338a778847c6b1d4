/**
 * What the VM's QEMU process uses, from one Sample: its CPU times (`cpu.time`, `cpu.user`,
 * `cpu.system` and each vCPU's `vcpu.N.time`, counters in seconds whose rates are CPUs
 * busy) and its memory (`balloon.<name>`: gauges in bytes, the guest's swap, fault and
 * hugetlb counters as rates). A Sample without them (not read, an older agent) leaves the
 * series as they were, and an unknown figure is no value: unknown is not zero.
 */
import type { CpuTimes, MemoryStats } from '#schemas/types.js';
import { stepBlock } from '../series/blockStep.js';
import { BALLOON_LAYOUT, CPU_LAYOUT, VCPU_TIME_LAYOUT, cpuValues, memoryValues } from '../series/fixedLayouts.js';
import type { RecordScope } from '../scope.js';

const cpuScratch: number[] = [];
const vcpuScratch: number[] = [0];
const memoryScratch: number[] = [];

export function stepCpu(scope: RecordScope, cpu: CpuTimes): void {
  stepBlock(scope, 'cpu', 'cpu', CPU_LAYOUT, cpuValues(cpu, cpuScratch));
  for (const v of cpu.vcpus) {
    vcpuScratch[0] = v.timeUs;
    stepBlock(scope, `c|${v.index}`, `vcpu.${v.index}`, VCPU_TIME_LAYOUT, vcpuScratch);
  }
}

export function stepMemory(scope: RecordScope, memory: MemoryStats): void {
  stepBlock(scope, 'balloon', 'balloon', BALLOON_LAYOUT, memoryValues(memory, memoryScratch));
}
