/**
 * `qmpipe stats` (HMP's `info stats` from QMP): the lines of a KVM transcript's latest
 * replies against the transcript itself, units as HMP writes them, histogram bars, filters.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '#test/support/fixtures.js';
import { cpuIndexes, jsonLine, statLines, type StatLineView } from './statLines.js';
import { formatStats, histogramBars, unitLabel } from './statsFormat.js';
import { transcriptStats } from './statsSource.js';

const KVM = fixturePath('qmp', 'kvm-vcpu-stats.jsonl');

/** The transcript's last query-stats reply per target, read plainly (the test's own reading). */
function lastReplies(path: string): Map<string, Array<{ provider: string; 'qom-path'?: string; stats: Array<{ name: string; value: unknown }> }>> {
  const targets = new Map<string, string>();
  const out = new Map<string, Array<{ provider: string; 'qom-path'?: string; stats: Array<{ name: string; value: unknown }> }>>();
  for (const text of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
    const { dir, msg } = JSON.parse(text) as { dir: string; msg: { execute?: string; id?: string; arguments?: { target: string }; return?: never } };
    if (dir === 'out' && msg.execute === 'query-stats') targets.set(msg.id!, msg.arguments!.target);
    if (dir === 'in' && msg.id !== undefined && targets.has(msg.id) && msg.return) out.set(targets.get(msg.id)!, msg.return);
  }
  return out;
}

function linesOf(path: string, filter = {}): StatLineView[] {
  const s = transcriptStats(path);
  return statLines(s.schemas, s.replies, cpuIndexes(s.cpus), filter);
}

describe('qmpipe stats on a KVM transcript', () => {
  it('prints every stat of the last replies with QEMU’s values', () => {
    const want = [...lastReplies(KVM)].flatMap(([target, results]) =>
      results.flatMap((r) => r.stats.map((s) => `${target} ${r['qom-path'] ?? target} ${s.name} ${JSON.stringify(s.value)}`)),
    );
    const got = linesOf(KVM).map((l) => `${l.target} ${l.instance} ${l.name} ${JSON.stringify(l.value)}`);
    expect(want.length).toBe(110);
    expect(got).toEqual(want);
  });

  it('--json lines carry the schema: type, unit, base, exponent; unit null when QEMU gives none', () => {
    const byName = new Map(linesOf(KVM, { targets: ['vcpu'], vcpus: [1] }).map((l) => [l.name, JSON.parse(jsonLine(l)) as Record<string, unknown>]));
    expect(byName.get('halt_wait_ns')).toEqual({
      target: 'vcpu',
      provider: 'kvm',
      instance: '/machine/unattached/device[2]',
      name: 'halt_wait_ns',
      type: 'cumulative',
      unit: 'seconds',
      base: 10,
      exponent: -9,
      value: 18777935881,
    });
    expect(byName.get('halt_exits')).toMatchObject({ unit: null, base: 0, exponent: 0, value: 1 });
    expect(byName.get('guest_mode')).toMatchObject({ type: 'instant', unit: 'boolean', value: false });
    expect((byName.get('halt_wait_hist')!.value as number[]).slice(0, 4)).toEqual([0, 19, 0, 1]);
  });

  it('filters: target, vCPU index, names, provider', () => {
    expect(new Set(linesOf(KVM, { targets: ['vm'] }).map((l) => l.instance))).toEqual(new Set(['vm']));
    expect(
      new Set(
        linesOf(KVM, { vcpus: [0] })
          .filter((l) => l.target === 'vcpu')
          .map((l) => l.instance),
      ),
    ).toEqual(new Set(['/machine/unattached/device[0]']));
    expect(linesOf(KVM, { names: ['halt_exits'] }).map((l) => `${l.instance}=${String(l.value)}`)).toEqual([
      '/machine/unattached/device[2]=1',
      '/machine/unattached/device[0]=0',
    ]);
    expect(linesOf(KVM, { provider: 'cryptodev' })).toEqual([]);
  });

  it('the text view: an instance header with the vCPU index, HMP units, histogram bars', () => {
    const text = formatStats(linesOf(KVM, { names: ['halt_wait_hist', 'halt_wait_ns', 'guest_mode'], vcpus: [1] }));
    expect(text).toBe(
      [
        'vcpu /machine/unattached/device[2] (cpu 1, provider: kvm)',
        '    guest_mode (instant, boolean): no',
        '    halt_wait_hist (log2-histogram, ns): 32 buckets, 20 counted',
        `        [1, 2) ${'#'.repeat(40)} 19`,
        `        [4, 8) ${'#'.repeat(2)} 1`,
        '    halt_wait_ns (cumulative, ns): 18777935881',
        '',
      ].join('\n'),
    );
  });
});

describe('units and histograms', () => {
  it.each([
    ['seconds', 10, -9, 'ns'],
    ['seconds', 10, -4, '* 10^-4 seconds'],
    ['bytes', 2, 10, 'KiB'],
    ['bytes', 2, 12, '* 2^12 bytes'],
    ['bytes', 0, 0, 'B'],
    ['cycles', 0, 0, 'cycles'],
    ['boolean', 0, 0, 'boolean'],
    [null, 0, 0, ''],
    [null, 10, 3, '* 10^3'],
  ] as const)('%s base %d exponent %d: %s', (unit, base, exponent, want) => {
    expect(unitLabel({ unit, base, exponent })).toBe(want);
  });

  it('linear buckets use the bucket size; the last bucket is open', () => {
    const l = { type: 'linear-histogram', bucketSize: 10 } as StatLineView;
    expect(histogramBars(l, [2, 0, 4, 1], 4)).toEqual(['        [0, 10)    ## 2', '        [20, 30)   #### 4', '        [30, +inf) # 1']);
    expect(histogramBars(l, [0, 0])).toEqual(['        (empty)']);
  });

  it('a stat with no schema entry is shown, typed unknown, not dropped', () => {
    const lines = statLines([], new Map([['vm', [{ provider: 'kvm', stats: [{ name: 'new_stat', value: 5 }] }]]]), new Map());
    expect(lines.map((l) => [l.name, l.type, l.value])).toEqual([['new_stat', 'unknown', 5]]);
  });

  it('names from QEMU are data: __proto__ as a provider or stat name', () => {
    const schemas = [{ provider: '__proto__', target: 'vm', stats: [{ name: 'constructor', type: 'cumulative', exponent: 0 }] }];
    const lines = statLines(schemas, new Map([['vm', [{ provider: '__proto__', stats: [{ name: 'constructor', value: 3 }] }]]]), new Map());
    expect(lines.map((l) => [l.provider, l.name, l.type, l.value])).toEqual([['__proto__', 'constructor', 'cumulative', 3]]);
  });
});
