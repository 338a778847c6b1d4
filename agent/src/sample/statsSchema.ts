/**
 * query-stats-schemas → `StatsSchemaSnapshot`, its content hash, and the per-snapshot
 * index the encoder and decoder use (stats.ts).
 *
 * Wire shape (qapi/stats.json, since 7.1):
 *   [{ provider: "kvm" | "cryptodev", target: "vm" | "vcpu" | "cryptodev",
 *      stats: [{ name, type: cumulative|instant|peak|linear-histogram|log2-histogram,
 *                unit?: bytes|seconds|cycles|boolean, exponent: int16,
 *                base?: 2|10 (only when exponent≠0), "bucket-size"?: uint32 }] }]
 *
 * The hash is sha256 over the canonical JSON (object keys sorted, array order kept:
 * the order defines the value slots) of the normalized schemas, first 16 bytes, hex.
 */
import { createHash } from 'node:crypto';
import type { StatDescriptor, StatsSchema, StatsSchemaSnapshot } from '#schemas/types.js';
import { isObject, long, objects, str, type JsonObject } from './json.js';

const INT32_MAX = 2 ** 31 - 1;

function int32(v: unknown): number | undefined {
  const n = long(v);
  return n === undefined ? undefined : Math.max(-INT32_MAX - 1, Math.min(INT32_MAX, n));
}

function toDescriptor(s: JsonObject): StatDescriptor | undefined {
  const name = str(s['name']);
  if (name === undefined) return undefined;
  return {
    name,
    type: str(s['type']) ?? 'unknown',
    unit: str(s['unit']) ?? null,
    base: int32(s['base']) ?? 0,
    exponent: int32(s['exponent']) ?? 0,
    bucketSize: int32(s['bucket-size']) ?? null,
  };
}

/** JSON with object keys sorted at every level: a stable text for hashing. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Content hash of normalized schemas: sha256(canonical JSON), first 16 bytes, hex. */
export function schemasHash(schemas: readonly StatsSchema[]): string {
  return createHash('sha256').update(canonicalJson(schemas)).digest().subarray(0, 16).toString('hex');
}

/**
 * Normalizes a query-stats-schemas reply. Entries without provider/target and stats
 * without a name are dropped. Undefined when the reply is not an array.
 */
export function toStatsSchemaSnapshot(reply: unknown): StatsSchemaSnapshot | undefined {
  const entries = objects(reply);
  if (!entries) return undefined;
  const schemas: StatsSchema[] = [];
  for (const e of entries) {
    const provider = str(e['provider']);
    const target = str(e['target']);
    if (provider === undefined || target === undefined) continue;
    const stats = (objects(e['stats']) ?? []).map(toDescriptor).filter((d): d is StatDescriptor => d !== undefined);
    schemas.push({ provider, target, stats });
  }
  return { hash: schemasHash(schemas), schemas };
}

/** Slot layout of one (provider, target) stat list, precomputed once per snapshot. */
export interface StatList {
  readonly stats: readonly StatDescriptor[];
  /** stat name → position in `stats`. */
  readonly position: ReadonlyMap<string, number>;
  /** Per position: a histogram (1+n slots) rather than a scalar/boolean (1 slot). */
  readonly histogram: readonly boolean[];
  /** Per position: unit boolean (decoded as true/false). */
  readonly boolean: readonly boolean[];
}

export interface StatsIndex {
  readonly snapshot: StatsSchemaSnapshot;
  /** provider → target → list (nested maps: no key building per lookup). */
  readonly lists: ReadonlyMap<string, ReadonlyMap<string, StatList>>;
}

export function isHistogramType(type: string): boolean {
  return type.endsWith('-histogram');
}

function toStatList(stats: readonly StatDescriptor[]): StatList {
  const position = new Map<string, number>();
  stats.forEach((d, i) => {
    if (!position.has(d.name)) position.set(d.name, i);
  });
  return {
    stats,
    position,
    histogram: stats.map((d) => isHistogramType(d.type)),
    boolean: stats.map((d) => d.unit === 'boolean'),
  };
}

/** Builds the lookup index of a snapshot (first list wins on a duplicate provider/target). */
export function indexSnapshot(snapshot: StatsSchemaSnapshot): StatsIndex {
  const lists = new Map<string, Map<string, StatList>>();
  for (const s of snapshot.schemas) {
    let byTarget = lists.get(s.provider);
    if (!byTarget) lists.set(s.provider, (byTarget = new Map()));
    if (!byTarget.has(s.target)) byTarget.set(s.target, toStatList(s.stats));
  }
  return { snapshot, lists };
}

export function findStatList(index: StatsIndex, provider: string, target: string): StatList | undefined {
  return index.lists.get(provider)?.get(target);
}
