import { describe, expect, it } from 'vitest';
import { sample } from '#test/support/records.js';
import { formatDomstats, parseDomstats } from './domstats.js';
import { VM_GROUPS, vmGroupEntries } from './vmGroups.js';

const cpu = {
  timeUs: 18_010_000,
  userUs: 12_340_000,
  systemUs: 5_670_000,
  vcpus: [
    { index: 0, timeUs: 10_000_000 },
    { index: 1, timeUs: 270_000 },
  ],
};

describe('domstats VM-level groups', () => {
  it("cpu-total and vcpu in virsh's names, ns", () => {
    expect(vmGroupEntries(sample({ cpu }), new Set(VM_GROUPS))).toEqual([
      ['cpu.time', 18_010_000_000],
      ['cpu.user', 12_340_000_000],
      ['cpu.system', 5_670_000_000],
      ['vcpu.0.time', 10_000_000_000],
      ['vcpu.1.time', 270_000_000],
    ]);
    expect(vmGroupEntries(sample({ cpu }), new Set(['vcpu'] as const)).map(([k]) => k)).toEqual(['vcpu.0.time', 'vcpu.1.time']);
  });

  it('prints nothing of what the sample does not have (unknown is not 0)', () => {
    expect(vmGroupEntries(sample(), new Set(VM_GROUPS))).toEqual([]);
    expect(vmGroupEntries(sample({ cpu: { ...cpu, userUs: null, systemUs: null, vcpus: [] } }), new Set(VM_GROUPS))).toEqual([['cpu.time', 18_010_000_000]]);
  });

  it('the groups come before block.*, and block.* can be left out', () => {
    const text = formatDomstats('vm1', sample({ cpu }), { backing: false, vm: new Set(VM_GROUPS) });
    expect(text.split('\n')[1]).toBe('  cpu.time=18010000000');
    expect(parseDomstats(text)['block.count']).toBe('1');
    expect(parseDomstats(formatDomstats('vm1', sample({ cpu }), { backing: false, vm: new Set(VM_GROUPS), block: false }))['block.count']).toBeUndefined();
  });
});
