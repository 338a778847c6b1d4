/**
 * query-stats-schemas + the latest query-stats replies → one line per stat, pure: what
 * `qmpipe stats` prints (HMP's `info stats`, read from QMP only).
 *
 * Wire shapes (qapi/stats.json, since 7.1):
 *   schemas  [{ provider, target, stats: [{ name, type, unit?, base?, exponent, bucket-size? }] }]
 *   stats    [{ provider, qom-path? (vcpu), stats: [{ name, value: uint64 | bool | [uint64] }] }]
 *   cpus     query-cpus-fast [{ cpu-index, qom-path, ... }]: the vCPU index of a qom path
 *
 * A stat with no schema entry is still printed, with type `unknown` and no unit (never
 * dropped silently); the schema's own order is kept, as QEMU's.
 */
import { arr, isObject, long, objects, str, type JsonObject } from '#agent/sample/json.js';

export type StatValue = number | boolean | number[];

/** One stat of one instance: the `--json` line of `qmpipe stats`. */
export interface StatLine {
  target: string;
  provider: string;
  /** The vCPU's qom path, or "vm" (any other target: the target's name). */
  instance: string;
  name: string;
  type: string;
  unit: string | null;
  base: number;
  exponent: number;
  /** QEMU's raw value: a number, a boolean or the histogram's bucket counts. */
  value: StatValue;
}

export interface StatLineView extends StatLine {
  /** The vCPU's index (query-cpus-fast), when known. */
  cpu: number | null;
  bucketSize: number | null;
}

export interface StatsFilter {
  targets?: readonly string[] | undefined;
  provider?: string | undefined;
  names?: readonly string[] | undefined;
  /** vCPU indexes (query-cpus-fast cpu-index). */
  vcpus?: readonly number[] | undefined;
}

interface SchemaEntry {
  type: string;
  unit: string | null;
  base: number;
  exponent: number;
  bucketSize: number | null;
}

/** provider → target → stat name → its schema entry (Maps: these names come from QEMU). */
type SchemaIndex = Map<string, Map<string, Map<string, SchemaEntry>>>;

function indexSchemas(reply: unknown): SchemaIndex {
  const out: SchemaIndex = new Map();
  for (const s of objects(reply) ?? []) {
    const provider = str(s['provider']);
    const target = str(s['target']);
    if (provider === undefined || target === undefined) continue;
    const byTarget = out.get(provider) ?? new Map<string, Map<string, SchemaEntry>>();
    out.set(provider, byTarget);
    const byName = new Map<string, SchemaEntry>();
    byTarget.set(target, byName);
    for (const v of objects(s['stats']) ?? []) {
      const name = str(v['name']);
      if (name === undefined) continue;
      byName.set(name, {
        type: str(v['type']) ?? 'unknown',
        unit: str(v['unit']) ?? null,
        base: long(v['base']) ?? 0,
        exponent: long(v['exponent']) ?? 0,
        bucketSize: long(v['bucket-size']) ?? null,
      });
    }
  }
  return out;
}

/** qom path → cpu-index, from a query-cpus-fast reply. */
export function cpuIndexes(reply: unknown): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of objects(reply) ?? []) {
    const path = str(c['qom-path']);
    const index = long(c['cpu-index']);
    if (path !== undefined && index !== undefined) out.set(path, index);
  }
  return out;
}

function statValue(v: unknown): StatValue | undefined {
  if (typeof v === 'boolean') return v;
  const n = long(v);
  if (n !== undefined) return n;
  const list = arr(v);
  if (!list) return undefined;
  const counts = list.map((x) => long(x));
  return counts.every((x): x is number => x !== undefined) ? counts : undefined;
}

const UNKNOWN: SchemaEntry = { type: 'unknown', unit: null, base: 0, exponent: 0, bucketSize: null };

/**
 * The lines of the latest replies: `replies` maps a target to its query-stats reply.
 * Targets in the order given, results in QEMU's order, stats in the reply's order.
 */
export function statLines(
  schemasReply: unknown,
  replies: ReadonlyMap<string, unknown>,
  cpus: ReadonlyMap<string, number>,
  filter: StatsFilter = {},
): StatLineView[] {
  const schemas = indexSchemas(schemasReply);
  const names = filter.names ? new Set(filter.names) : undefined;
  const vcpus = filter.vcpus ? new Set(filter.vcpus) : undefined;
  const out: StatLineView[] = [];
  for (const [target, reply] of replies) {
    if (filter.targets && !filter.targets.includes(target)) continue;
    for (const result of objects(reply) ?? []) {
      const provider = str(result['provider']);
      if (provider === undefined || (filter.provider !== undefined && provider !== filter.provider)) continue;
      const qomPath = str(result['qom-path']);
      const instance = target === 'vcpu' ? (qomPath ?? 'vcpu') : target;
      const cpu = qomPath === undefined ? null : (cpus.get(qomPath) ?? null);
      if (vcpus && target === 'vcpu' && (cpu === null || !vcpus.has(cpu))) continue;
      const schema = schemas.get(provider)?.get(target);
      for (const s of objects(result['stats']) ?? []) {
        const name = str(s['name']);
        const value = statValue(s['value']);
        if (name === undefined || value === undefined || (names && !names.has(name))) continue;
        const e = schema?.get(name) ?? UNKNOWN;
        out.push({ target, provider, instance, name, type: e.type, unit: e.unit, base: e.base, exponent: e.exponent, value, cpu, bucketSize: e.bucketSize });
      }
    }
  }
  return out;
}

/** The `--json` shape: exactly the documented fields, in their order. */
export function jsonLine(l: StatLine): string {
  const { target, provider, instance, name, type, unit, base, exponent, value } = l;
  return JSON.stringify({ target, provider, instance, name, type, unit, base, exponent, value });
}

export function isJsonObject(v: unknown): v is JsonObject {
  return isObject(v);
}
