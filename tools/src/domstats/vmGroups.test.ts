import { describe, expect, it } from 'vitest';
import { emptyMemoryStats } from '#schemas/memoryStats.js';
import { CPU_TIMES, sample } from '#test/support/records.js';
import { formatDomstats, parseDomstats } from './domstats.js';
import { VM_GROUPS, vmGroupEntries } from './vmGroups.js';

const cpu = CPU_TIMES;

describe('domstats VM-level groups', () => {
  it("cpu-total and vcpu in virsh's names, ns", () => {
    expect(vmGroupEntries(sample({ cpu }), new Set(['cpu-total', 'vcpu'] as const))).toEqual([
      ['cpu.time', 18_010_000_000],
      ['cpu.user', 12_340_000_000],
      ['cpu.system', 5_670_000_000],
      ['vcpu.0.time', 10_000_000_000],
      ['vcpu.1.time', 270_000_000],
    ]);
    expect(vmGroupEntries(sample({ cpu }), new Set(['vcpu'] as const)).map(([k]) => k)).toEqual(['vcpu.0.time', 'vcpu.1.time']);
  });

  it('balloon: the known figures in KiB (rounded down, as libvirt divides bytes), counts as they are', () => {
    const memory = {
      ...emptyMemoryStats(),
      currentBytes: 167_772_160,
      maximumBytes: 167_772_160,
      rssBytes: 183_412 * 1024 + 1023,
      majorFaults: 7,
      lastUpdate: 1_796_000_000,
    };
    expect(vmGroupEntries(sample({ memory }), new Set(['balloon'] as const))).toEqual([
      ['balloon.current', 163_840],
      ['balloon.maximum', 163_840],
      ['balloon.major_fault', 7],
      ['balloon.last-update', 1_796_000_000],
      ['balloon.rss', 183_412],
    ]);
  });

  it("state: libvirt's own numbers when the sample has them, else QMP's run state as libvirt maps it", () => {
    expect(vmGroupEntries(sample({ status: 'io-error', running: false }), new Set(['state'] as const))).toEqual([
      ['state.state', 3],
      ['state.reason', 5],
    ]);
    expect(vmGroupEntries(sample({ status: 'paused', libvirtState: { state: 3, reason: 2 } }), new Set(['state'] as const))).toEqual([
      ['state.state', 3],
      ['state.reason', 2],
    ]);
  });

  it('prints nothing of what the sample does not have (unknown is not 0)', () => {
    expect(vmGroupEntries(sample(), new Set(['cpu-total', 'balloon', 'vcpu'] as const))).toEqual([]);
    expect(vmGroupEntries(sample({ cpu: { ...cpu, userUs: null, systemUs: null, vcpus: [] } }), new Set(['cpu-total', 'vcpu'] as const))).toEqual([
      ['cpu.time', 18_010_000_000],
    ]);
  });

  it('the groups come before block.*, and block.* can be left out', () => {
    const text = formatDomstats('vm1', sample({ cpu }), { backing: false, vm: new Set(VM_GROUPS) });
    expect(text.split('\n').slice(1, 4)).toEqual(['  state.state=1', '  state.reason=0', '  cpu.time=18010000000']);
    expect(parseDomstats(text)['block.count']).toBe('1');
    expect(parseDomstats(formatDomstats('vm1', sample({ cpu }), { backing: false, vm: new Set(VM_GROUPS), block: false }))['block.count']).toBeUndefined();
  });
});
