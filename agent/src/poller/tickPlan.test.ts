import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '#common/paths.js';
import { loadAgentConfig } from '#schemas/config/agent.js';
import { loadFixture } from '#test/support/transcriptLines.js';
import { isAllowed, readOnlyAllowlist } from '../qmp/allowlist.js';
import { hostDevicePaths, nextSlot, planTick, statsTargets } from './tickPlan.js';

const v72 = { major: 7, minor: 2, micro: 22 };
const replyTo = (fixture: string, execute: string): unknown => {
  const fx = loadFixture(fixture);
  const out = fx.find((l) => l.dir === 'out' && l.msg.execute === execute)!;
  return fx.find((l) => l.dir === 'in' && l.msg.id === out.msg.id)!.msg.return;
};

describe('planTick', () => {
  it('fast tick: the fixtures recorder order, stats per target', () => {
    const p = planTick({ version: v72, statsTargets: ['vm', 'vcpu'], blockstatsNodes: true, slow: false });
    expect(p.map((c) => c.key)).toEqual([
      'query-status',
      'query-stats:vm',
      'query-stats:vcpu',
      'query-blockstats',
      'query-blockstats:nodes',
      'query-block-jobs',
    ]);
    expect(p[1]).toEqual({ key: 'query-stats:vm', execute: 'query-stats', arguments: { target: 'vm' } });
    expect(p[4]!.arguments).toEqual({ 'query-nodes': true });
  });

  it('slow tick adds query-block and query-named-block-nodes {flat}; providers filter is passed through', () => {
    const p = planTick({ version: v72, statsTargets: ['vm'], statsProviders: [{ provider: 'kvm', names: ['exits'] }], blockstatsNodes: false, slow: true });
    expect(p.map((c) => c.key)).toEqual(['query-status', 'query-stats:vm', 'query-blockstats', 'query-block-jobs', 'query-block', 'query-named-block-nodes']);
    expect(p[1]!.arguments).toEqual({ target: 'vm', providers: [{ provider: 'kvm', names: ['exits'] }] });
    expect(p[5]!.arguments).toEqual({ flat: true });
  });

  it('with a balloon device, the slow tick reads its size and guest-stats (the allowlist admits exactly these); none without one', () => {
    const input = { version: v72, statsTargets: [], blockstatsNodes: false, balloonPath: '/machine/peripheral/balloon0' };
    const slow = planTick({ ...input, slow: true });
    expect(slow.slice(-2)).toEqual([
      { key: 'query-balloon', execute: 'query-balloon' },
      { key: 'qom-get:guest-stats', execute: 'qom-get', arguments: { path: '/machine/peripheral/balloon0', property: 'guest-stats' } },
    ]);
    for (const c of slow) expect(isAllowed(readOnlyAllowlist, c.execute, c.arguments), c.key).toBe(true);
    expect(planTick({ ...input, slow: false }).map((c) => c.key)).not.toContain('query-balloon');
    expect(planTick({ ...input, slow: true, balloonPath: null }).map((c) => c.key)).not.toContain('query-balloon');
  });

  it('provider filters apply to the targets they name; a target no filter names gets every provider', () => {
    const filters = [
      { provider: 'kvm', targets: ['vm', 'vcpu'] },
      { provider: 'cryptodev', names: ['ops'], targets: ['cryptodev'] },
    ];
    const p = planTick({ version: v72, statsTargets: ['vm', 'vcpu', 'cryptodev', 'other'], statsProviders: filters, blockstatsNodes: false, slow: false });
    const args = Object.fromEntries(p.filter((c) => c.execute === 'query-stats').map((c) => [c.key, c.arguments]));
    expect(args).toEqual({
      'query-stats:vm': { target: 'vm', providers: [{ provider: 'kvm' }] },
      'query-stats:vcpu': { target: 'vcpu', providers: [{ provider: 'kvm' }] },
      'query-stats:cryptodev': { target: 'cryptodev', providers: [{ provider: 'cryptodev', names: ['ops'] }] },
      'query-stats:other': { target: 'other' },
    });
  });

  it('the example config does not drop cryptodev stats with its kvm filter', () => {
    const cfg = loadAgentConfig({ file: join(packageRoot(), 'agent', 'agent.example.json'), env: {} });
    const p = planTick({
      version: v72,
      statsTargets: ['vm', 'vcpu', 'cryptodev'],
      statsProviders: cfg.sampling.statsProviders,
      blockstatsNodes: true,
      slow: false,
    });
    const crypto = p.find((c) => c.key === 'query-stats:cryptodev')!;
    const providers = (crypto.arguments as { providers?: Array<{ provider: string }> }).providers;
    expect(providers === undefined || providers.some((x) => x.provider === 'cryptodev')).toBe(true);
  });

  it('QEMU < 5.0 gets query-named-block-nodes without flat', () => {
    const p = planTick({ version: { major: 4, minor: 2, micro: 0 }, statsTargets: [], blockstatsNodes: false, slow: true });
    expect(p.find((c) => c.key === 'query-named-block-nodes')!.arguments).toBeUndefined();
  });
});

describe('statsTargets', () => {
  it('auto: vm and vcpu from the KVM fixture schemas', () => {
    expect(statsTargets('auto', replyTo('kvm-vcpu-stats.jsonl', 'query-stats-schemas'))).toEqual(['vm', 'vcpu']);
  });
  it('auto: TCG (empty schemas) still asks vm and vcpu, which answer []', () => {
    expect(statsTargets('auto', [])).toEqual(['vm', 'vcpu']);
  });
  it('auto: a newer QEMU offering cryptodev adds it', () => {
    expect(statsTargets('auto', [{ provider: 'cryptodev', target: 'cryptodev', stats: [] }])).toEqual(['vm', 'vcpu', 'cryptodev']);
  });
  it('no query-stats-schemas (QEMU < 7.1): none', () => {
    expect(statsTargets('auto', undefined)).toEqual([]);
    expect(statsTargets(['vm'], undefined)).toEqual([]);
  });
});

describe('hostDevicePaths', () => {
  it('finds the loop device under lv0-storage in the thin-LV fixture', () => {
    expect(hostDevicePaths(replyTo('thin-lv-enospc-commit.jsonl', 'query-named-block-nodes'))).toEqual(['/dev/loop2']);
  });
  it('tolerates garbage', () => {
    expect(hostDevicePaths({})).toEqual([]);
    expect(hostDevicePaths([null, 1, { drv: 'host_device', file: 'relative' }])).toEqual([]);
  });
});

describe('nextSlot', () => {
  it.each([
    // prevAt, now, interval → at, skipped
    [1_000_250, 1_000_260, 1000, 1_001_000, 0], // first tick off-grid: next on the grid
    [1_001_000, 1_001_004, 1000, 1_002_000, 0], // on schedule
    [1_001_000, 1_003_500, 1000, 1_004_000, 2], // overran: 1_002_000 and 1_003_000 skipped
    [1_001_000, 1_002_000, 1000, 1_002_000, 0], // exactly at the next slot: run it
    [50, 60, 50, 100, 0],
  ])('prev %i, now %i, every %i → %i (skipped %i)', (prev, now, iv, at, skipped) => {
    expect(nextSlot(prev, now, iv)).toEqual({ at, skipped });
  });
});
