/**
 * Builders of hand-made RawRecords for table-driven tests and benchmarks
 * (defaults: one running VM, one qcow2-on-host_device disk `vda`).
 */
import { emptyBlockCounters } from '#schemas/blockCounters.js';
import type { ProcessStats } from '#agent/sample/tick.js';
import type {
  BlockCounters,
  CpuTimes,
  BlockDevice,
  ChainElement,
  QmpEvent,
  RawRecord,
  Sample,
  StatDescriptor,
  StatsResult,
  StatsSchemaSnapshot,
  VmIdentity,
} from '#schemas/types.js';

export const VM: VmIdentity = { host: 'h1', uuid: '6a1e3c52-0d4b-4f7e-9a31-1c2d3e4f5a61', name: 'vm1', instanceId: 'i1', qemuVersion: '7.2.22' };

/** Block counters, all zero (idle time null, as the agent's before any I/O) but for `c`. */
export function counters(c: Partial<BlockCounters> = {}): BlockCounters {
  return { ...emptyBlockCounters(), ...c };
}

export function element(e: Partial<ChainElement> = {}): ChainElement {
  return {
    backingIndex: 0,
    formatNode: 'lv0-format',
    formatDriver: 'qcow2',
    storageNode: 'lv0-storage',
    storageDriver: 'host_device',
    filename: '/dev/loop2',
    allocation: 0,
    allocationValid: true,
    capacity: 256 << 20,
    physical: 96 << 20,
    physicalSource: 'HOST_DEVICE_SIZE',
    actualSize: 0,
    storageVirtualSize: 96 << 20,
    writeThreshold: 0,
    ...e,
  };
}

export function device(d: Partial<BlockDevice> = {}): BlockDevice {
  return {
    dev: 'vda',
    device: '',
    qdev: '/machine/peripheral/vda/virtio-backend',
    nodeName: 'lv0-format',
    ioStatus: 'ok',
    counters: counters(),
    extra: {},
    chain: [element()],
    ...d,
  };
}

export function sample(s: Partial<Sample> = {}): Sample {
  return {
    status: 'running',
    running: true,
    stats: null,
    blockDevices: [device()],
    jobs: [],
    net: [],
    slowRefresh: true,
    errors: [],
    cpu: null,
    memory: null,
    libvirtState: null,
    ...s,
  };
}

let seq = 0;

export function sampleRec(t: number, s: Partial<Sample> = {}, vm: VmIdentity = VM): RawRecord {
  return { vm, seq: ++seq, t, body: { kind: 'Sample', value: sample(s) } };
}

export function eventRec(t: number, event: string, data: object = {}, vm: VmIdentity = VM): RawRecord {
  const value: QmpEvent = { event, qemuTimeUs: t * 1000, data: JSON.stringify(data) };
  return { vm, seq: ++seq, t, body: { kind: 'QmpEvent', value } };
}

export function stat(name: string, type: string, extra: Partial<StatDescriptor> = {}): StatDescriptor {
  return { name, type, unit: null, base: 0, exponent: 0, bucketSize: null, ...extra };
}

export function snapshotRec(t: number, snap: StatsSchemaSnapshot, vm: VmIdentity = VM): RawRecord {
  return { vm, seq: ++seq, t, body: { kind: 'StatsSchemaSnapshot', value: snap } };
}

export function statsResult(target: string, values: number[], qomPath: string | null = null): StatsResult {
  return { target, provider: 'kvm', qomPath, values, extra: [] };
}

/** A device whose top element has this allocation and counters. */
export function diskAt(allocation: number, c: Partial<BlockCounters> = {}, e: Partial<ChainElement> = {}): BlockDevice {
  return device({ counters: counters(c), chain: [element({ allocation, ...e })] });
}

/**
 * Prometheus-style series: "0+10x3 5 _ 7" → [0, 10, 20, 30, 5, -1, 7]; `a+bxn` is a
 * then n steps of b, `_` a missing value (-1).
 */
export function series(spec: string): number[] {
  const out: number[] = [];
  for (const tok of spec.trim().split(/\s+/)) {
    if (tok === '_') out.push(-1);
    else {
      const m = /^(-?\d+(?:\.\d+)?)(?:([+-]\d+(?:\.\d+)?)x(\d+))?$/.exec(tok);
      if (!m) throw new Error(`bad series token ${tok}`);
      const a = Number(m[1]);
      out.push(a);
      if (m[2] !== undefined) for (let i = 1; i <= Number(m[3]); i++) out.push(a + i * Number(m[2]));
    }
  }
  return out;
}

/** A tap interface whose rx byte counter is `rx`. */
export function tap(rx: number, name = 'tap0'): import('#schemas/types.js').NetInterface {
  return { name, rxBytes: rx, rxPackets: 0, rxErrors: 0, rxDropped: 0, txBytes: 0, txPackets: 0, txErrors: 0, txDropped: 0 };
}

/** One procfs reading of a 2-vCPU QEMU (clock ticks, VmRSS in KiB)… */
export const PROCESS_STATS: ProcessStats = {
  userTicks: 1234,
  systemTicks: 567,
  rssKb: 183412,
  vcpus: [
    { index: 0, ticks: 1000 },
    { index: 1, ticks: 27 },
  ],
};

/** …and the CPU times it gives (µs: 10 000 a tick). */
export const CPU_TIMES: CpuTimes = {
  timeUs: 18_010_000,
  userUs: 12_340_000,
  systemUs: 5_670_000,
  vcpus: [
    { index: 0, timeUs: 10_000_000 },
    { index: 1, timeUs: 270_000 },
  ],
};
