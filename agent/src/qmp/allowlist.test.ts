import { describe, expect, it } from 'vitest';
import { createAllowlist, isAllowed, readOnlyAllowlist } from './allowlist.js';

describe('isAllowed', () => {
  const withThreshold = createAllowlist(['block-set-write-threshold']);
  it.each([
    ['qmp_capabilities', true, true],
    ['query-status', true, true],
    ['query-stats-schemas', true, true],
    ['query-version', true, true], // the greeting of a session through libvirt
    ['query-kvm', false, false], // the agent does not send it
    ['query-named-block-nodes', true, true],
    ['block-set-write-threshold', false, true],
    ['cont', false, false],
    ['stop', false, false],
    ['quit', false, false],
    ['system_reset', false, false],
    ['device_del', false, false],
    ['human-monitor-command', false, false],
    ['block-commit', false, false],
    ['query-', false, false],
    ['Query-status', false, false],
    ['query-status ', false, false],
    ['x-query-foo', false, false],
    ['query-status\ncont', false, false],
    ['', false, false],
  ])('%j → default %s, with write threshold %s', (cmd, byDefault, opted) => {
    const args = cmd === 'block-set-write-threshold' ? { 'node-name': 'lv0-storage', 'write-threshold': 1 } : undefined;
    expect(isAllowed(readOnlyAllowlist, cmd, args)).toBe(byDefault);
    expect(isAllowed(withThreshold, cmd, args)).toBe(opted);
  });
});

describe('isAllowed: exactly the commands the agent sends, with their argument shapes', () => {
  it.each([
    ['query-cpus', undefined], // kicks every vCPU out of the guest on old QEMU
    ['query-memory-devices', undefined],
    ['query-migrate', undefined],
    ['query-qmp-schema', undefined],
    ['query-status', { verbose: true }],
    ['query-stats', {}], // target is required
    ['query-stats', { target: 'vm', extra: 1 }],
    ['query-stats', { target: 5 }],
    ['query-stats', { target: 'vm', providers: [{ provider: 'kvm', names: 'halt_poll_ns' }] }],
    ['query-blockstats', { 'query-nodes': 'yes' }],
    ['query-named-block-nodes', { flat: true, depth: 3 }],
    ['qmp_capabilities', { enable: ['oob'] }],
    ['query-balloon', { verbose: true }],
    ['qom-list', { path: '/machine' }], // only the two device containers
    ['qom-list', { path: '/machine/peripheral/../unattached' }],
    ['qom-get', { path: '/machine/peripheral/balloon0', property: 'guest-stats-polling-interval' }], // only guest-stats
    ['qom-get', { path: '/machine/unattached/device[0]', property: 'guest-stats' }], // only a device under the two containers
    ['qom-get', { path: '/machine/peripheral/balloon0/virtio-backend', property: 'guest-stats' }],
    ['qom-get', { path: '/machine/peripheral/balloon0' }],
    ['qom-set', { path: '/machine/peripheral/balloon0', property: 'guest-stats-polling-interval', value: 1 }],
    ['balloon', { value: 1 }],
  ])('refuses %s %j', (cmd, args) => {
    expect(isAllowed(readOnlyAllowlist, cmd, args)).toBe(false);
  });

  it.each([
    ['query-status', undefined],
    ['query-stats', { target: 'vcpu' }],
    ['query-stats', { target: 'vm', providers: [{ provider: 'kvm' }, { provider: 'cryptodev', names: ['a'] }] }],
    ['query-stats-schemas', { provider: 'kvm' }],
    ['query-blockstats', { 'query-nodes': true }],
    ['query-named-block-nodes', { flat: true }],
    ['query-block-jobs', undefined],
    ['query-balloon', undefined],
    ['query-memory-size-summary', undefined],
    ['qom-list', { path: '/machine/peripheral' }],
    ['qom-list', { path: '/machine/peripheral-anon' }],
    ['qom-get', { path: '/machine/peripheral/balloon0', property: 'guest-stats' }],
    ['qom-get', { path: '/machine/peripheral-anon/device[1]', property: 'guest-stats' }],
  ])('allows %s %j', (cmd, args) => {
    expect(isAllowed(readOnlyAllowlist, cmd, args)).toBe(true);
  });

  it('block-set-write-threshold, when opted in, only with a node name and a number', () => {
    const on = createAllowlist(['block-set-write-threshold']);
    expect(isAllowed(on, 'block-set-write-threshold', { 'node-name': 'lv0-storage', 'write-threshold': 1 << 30 })).toBe(true);
    expect(isAllowed(on, 'block-set-write-threshold', { 'node-name': 'lv0-storage' })).toBe(false);
    expect(isAllowed(on, 'block-set-write-threshold', { 'node-name': 'x', 'write-threshold': '1' })).toBe(false);
  });
});
