import { describe, expect, it } from 'vitest';
import { decodeRaw, encodeRaw } from '#schemas/codecs/raw.js';
import type { RawRecord, Sample, StatsResult, StatsValues } from '#schemas/types.js';
import { fixturePath, fixtureTicks } from '#test/support/fixtures.js';
import { replayFile } from '#tools/transcript/replay.js';
import { isObject, type JsonObject } from './json.js';
import { decodeStats, type DecodedStat } from '#test/support/decodeStats.js';
import { encodeStats } from './stats.js';
import { indexSnapshot, toStatsSchemaSnapshot } from './statsSchema.js';
import { buildAll } from '#test/support/sample.js';

const ticks = fixtureTicks('qmp', 'kvm-vcpu-stats.jsonl');
const schemasReply = ticks[0]!.replies['query-stats-schemas'];
const snapshot = toStatsSchemaSnapshot(schemasReply)!;
const index = indexSnapshot(snapshot);
const { samples, snapshots } = buildAll(ticks);

/** The query-stats replies of a tick as [{target, entry}] with the raw StatsResult objects. */
function rawResults(i: number): { target: string; entry: JsonObject }[] {
  return (['vm', 'vcpu'] as const).flatMap((target) => {
    const reply = ticks[i]!.replies[`query-stats:${target}`];
    return (Array.isArray(reply) ? reply : []).filter(isObject).map((entry) => ({ target, entry }));
  });
}

const asReply = (d: DecodedStat) => ({ name: d.name, value: d.kind === 'histogram' ? d.buckets : d.value });

describe('query-stats-schemas snapshot (kvm-vcpu-stats.jsonl)', () => {
  it('lists 16 vm and 47 vcpu stats with units, base and exponent', () => {
    expect(snapshot.schemas.map((s) => `${s.provider}/${s.target}:${s.stats.length}`)).toEqual(['kvm/vcpu:47', 'kvm/vm:16']);
    const vcpu = snapshot.schemas[0]!.stats;
    expect(vcpu.find((d) => d.name === 'halt_wait_hist')).toEqual({
      name: 'halt_wait_hist',
      type: 'log2-histogram',
      unit: 'seconds',
      base: 10,
      exponent: -9,
      bucketSize: null,
    });
    expect(vcpu.find((d) => d.name === 'guest_mode')).toMatchObject({ unit: 'boolean', type: 'instant', base: 0 });
    expect(vcpu.filter((d) => d.type === 'log2-histogram').map((d) => d.name)).toEqual(['halt_wait_hist', 'halt_poll_fail_hist', 'halt_poll_success_hist']);
  });

  it('has a stable content hash that changes with the content', () => {
    expect(snapshot.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(toStatsSchemaSnapshot(JSON.parse(JSON.stringify(schemasReply)))!.hash).toBe(snapshot.hash);
    const reordered = (schemasReply as JsonObject[]).map((s) => Object.fromEntries(Object.entries(s).reverse()));
    expect(toStatsSchemaSnapshot(reordered)!.hash).toBe(snapshot.hash); // key order does not matter
    const changed = JSON.parse(JSON.stringify(schemasReply)) as { stats: { name: string }[] }[];
    changed[0]!.stats[0]!.name = 'renamed';
    expect(toStatsSchemaSnapshot(changed)!.hash).not.toBe(snapshot.hash);
  });

  it('is handed out once, with the first sample, and every sample references it', () => {
    expect(snapshots).toEqual([snapshot]);
    expect(samples).toHaveLength(20);
    expect(samples.every((s) => s.stats?.schemaHash === snapshot.hash)).toBe(true);
  });
});

describe('stats encoding', () => {
  const last = samples.at(-1)!.stats!;

  it('gives one vm result and two vcpu results with their qom paths, nothing in extra', () => {
    expect(last.results.map((r) => `${r.target}:${r.qomPath}`)).toEqual([
      'vm:null',
      'vcpu:/machine/unattached/device[2]',
      'vcpu:/machine/unattached/device[0]',
    ]);
    expect(last.results[0]!.values).toHaveLength(16);
    expect(last.results[1]!.values).toHaveLength(44 + 3 * 33); // 44 scalars/booleans, 3 histograms of 32 buckets
    expect(last.results.every((r) => r.extra.length === 0)).toBe(true);
    const hist = last.results[1]!.values.slice(37, 37 + 33);
    expect(hist).toEqual([32, 0, 19, 0, 1, ...new Array<number>(28).fill(0)]); // halt_wait_hist of device[2]
  });

  it('decodes back to the reply values for every result of every tick (histograms and booleans included)', () => {
    let compared = 0;
    samples.forEach((s, i) => {
      const raw = rawResults(i);
      expect(s.stats!.results).toHaveLength(raw.length);
      s.stats!.results.forEach((r, k) => {
        expect(decodeStats(index, r).map(asReply)).toEqual(raw[k]!.entry['stats']);
        compared++;
      });
    });
    expect(compared).toBe(60);
    const guest = decodeStats(snapshot, last.results[1]!).find((d) => d.name === 'guest_mode');
    expect(guest).toMatchObject({ kind: 'boolean', value: false });
  });

  it('marks missing stats -1 and keeps unknown or mistyped ones in extra', () => {
    const entry = {
      provider: 'kvm',
      'qom-path': '/q',
      stats: [
        { name: 'exits', value: 5 },
        { name: 'brand_new', value: [1, 2] },
        { name: 'halt_wait_hist', value: 3 },
      ],
    };
    const { stats } = encodeStats(index, [{ target: 'vcpu', reply: [entry] }]);
    const r: StatsResult = stats!.results[0]!;
    expect(r.values).toHaveLength(47);
    expect(r.values.filter((v) => v !== -1)).toEqual([5]);
    expect(r.extra).toEqual([
      { name: 'brand_new', values: [1, 2] },
      { name: 'halt_wait_hist', values: [3] },
    ]);
    expect(decodeStats(index, r).map(asReply)).toEqual([
      { name: 'exits', value: 5 },
      { name: 'brand_new', value: [1, 2] },
      { name: 'halt_wait_hist', value: 3 },
    ]);
  });

  it('gives the same values whatever the reply order, with gaps, bad values and duplicates (last wins)', () => {
    // The fast path reads replies in schema order; anything else takes the table path.
    const entry = rawResults(19).find((r) => r.target === 'vcpu')!.entry;
    const stats = entry['stats'] as { name: string; value: unknown }[];
    const enc = (st: unknown[]): StatsResult => encodeStats(index, [{ target: 'vcpu', reply: [{ ...entry, stats: st }] }]).stats!.results[0]!;
    const inOrder = enc(stats);
    let seed = 7;
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let round = 0; round < 50; round++) {
      const shuffled = [...stats];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = rand(i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      expect(enc(shuffled)).toEqual(inOrder);
      // drop some, corrupt some (negative, string, bad bucket), add a non-object and an unknown stat
      const mutated: unknown[] = stats
        .filter(() => rand(5) !== 0)
        .map((s) => {
          const k = rand(10);
          if (k === 0) return { ...s, value: -1 };
          if (k === 1) return { ...s, value: 'x' };
          if (k === 2 && Array.isArray(s.value)) return { ...s, value: [...(s.value as number[]), -5] };
          return s;
        });
      mutated.splice(rand(mutated.length), 0, 42, { name: 'brand_new', value: 3 });
      const expected = enc([...mutated].reverse().reverse()); // same order: fast path
      const m2 = [...mutated];
      [m2[0], m2[m2.length - 1]] = [m2[m2.length - 1], m2[0]]; // out of order: table path
      expect(enc(m2).values).toEqual(expected.values);
      expect(new Set(enc(m2).extra.map((e) => e.name))).toEqual(new Set(expected.extra.map((e) => e.name)));
      const decoded = new Map(decodeStats(index, expected).map((d) => [d.name, asReply(d).value]));
      for (const st of mutated) {
        if (typeof st !== 'object' || st === null) continue;
        const { name, value } = st as { name: string; value: unknown };
        const valid = Array.isArray(value)
          ? value.every((b) => typeof b === 'number' && b >= 0)
          : typeof value === 'boolean' || (typeof value === 'number' && value >= 0);
        expect(decoded.get(name)).toEqual(valid ? value : undefined);
      }
    }
    // a duplicate: the later value wins on both paths
    const dup = [...stats, { name: stats[0]!.name, value: 123456 }];
    expect(decodeStats(index, enc(dup)).find((d) => d.name === stats[0]!.name)).toMatchObject({ value: 123456 });
  });

  it('reports nothing for [] (TCG) and flags malformed replies without throwing', () => {
    expect(
      encodeStats(index, [
        { target: 'vm', reply: [] },
        { target: 'vcpu', reply: [] },
      ]),
    ).toEqual({ stats: null, malformed: [] });
    const bad = encodeStats(index, [
      { target: 'vm', reply: { no: 'array' } },
      { target: 'vcpu', reply: [42, { provider: 'kvm' }] },
    ]);
    expect(bad).toEqual({ stats: null, malformed: ['vm', 'vcpu'] });
    const noSnapshot = encodeStats(null, [{ target: 'vm', reply: [{ provider: 'kvm', stats: [{ name: 'a', value: true }] }] }]);
    expect(noSnapshot.stats).toEqual({
      schemaHash: '',
      results: [{ target: 'vm', provider: 'kvm', qomPath: null, values: [], extra: [{ name: 'a', values: [1] }] }],
    });
  });
});

/** Number of uint64 values a StatsValues carries (a histogram counts its buckets). */
function scalarsOf(stats: StatsValues): number {
  return stats.results.reduce((n, r) => n + decodeStats(index, r).reduce((m, d) => m + (d.kind === 'histogram' ? d.buckets.length : 1), 0), 0);
}

function bodyBytes(rec: RawRecord, sample: Sample): number {
  return encodeRaw({ ...rec, body: { kind: 'Sample', value: sample } }).length;
}

describe('Avro encoding of kvm-vcpu-stats.jsonl records', () => {
  const { records } = replayFile(fixturePath('qmp', 'kvm-vcpu-stats.jsonl'));

  it('round-trips every record through encodeRaw/decodeRaw', () => {
    expect(records.map((r) => r.body.kind).slice(0, 2)).toEqual(['StatsSchemaSnapshot', 'Sample']);
    for (const rec of records) expect(JSON.parse(JSON.stringify(decodeRaw(encodeRaw(rec))))).toEqual(JSON.parse(JSON.stringify(rec)));
  });

  it('costs < 2.5 B per stat scalar in snapshot order, far less than name/value pairs', () => {
    let ordered = 0;
    let named = 0;
    let scalars = 0;
    records.forEach((rec, i) => {
      if (rec.body.kind !== 'Sample') return;
      const sample = rec.body.value;
      const none = bodyBytes(rec, { ...sample, stats: null });
      ordered += bodyBytes(rec, sample) - none;
      named += bodyBytes(rec, { ...sample, stats: encodeStats(null, rawResultsOfRecord(i)).stats }) - none;
      scalars += scalarsOf(sample.stats!);
    });
    const result = { samples: 20, scalarsPerSample: scalars / 20, orderedBytesPerScalar: ordered / scalars, namedBytesPerScalar: named / scalars };
    console.log(JSON.stringify({ name: 'agent.stats.avro_bytes_per_scalar', ...result }));
    expect(result.scalarsPerSample).toBe(16 + 2 * (44 + 3 * 32));
    expect(result.orderedBytesPerScalar).toBeLessThan(2.5);
    expect(result.namedBytesPerScalar).toBeGreaterThan(4 * result.orderedBytesPerScalar);
  });

  /** The query-stats replies of the sample at records[i] (records[0] is the snapshot). */
  function rawResultsOfRecord(i: number): { target: string; reply: unknown }[] {
    const tick = ticks[i - 1]!;
    return ['vm', 'vcpu'].map((target) => ({ target, reply: tick.replies[`query-stats:${target}`] }));
  }
});
