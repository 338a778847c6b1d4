/**
 * query-stats replies ↔ `StatsValues` in snapshot order (raw.avsc StatsResult).
 *
 * Wire shape (qapi/stats.json, since 7.1), reply to {target, providers?, vcpus?}:
 *   [{ provider: "kvm", "qom-path"?: "/machine/unattached/device[0]",
 *      stats: [{ name, value: uint64 | bool | [uint64] }] }]
 * `[]` under TCG (no kvm provider); CommandNotFound before 7.1.
 *
 * Encoding, per stat of the snapshot's (provider, target) list, in order: a scalar
 * takes one slot, a boolean one slot (0/1), a histogram 1+n slots (n, then the n
 * buckets); a stat missing from the reply is -1 (values are uint64, so -1 is free).
 * Stats the snapshot does not list, or whose shape disagrees with it, go to `extra`
 * by name. Names are looked up in the index's maps; nothing is built per value.
 */
import type { NamedStat, StatsResult, StatsValues } from '#schemas/types.js';
import { arr, isObject, long, obj, str } from './json.js';
import { findStatList, type StatList, type StatsIndex } from './statsSchema.js';

/** One query-stats reply and the target it was asked for (`query-stats:<target>`). */
export interface StatsReply {
  target: string;
  reply: unknown;
}

type RawValue = number | number[];

/** A StatsValue as slots: uint64 → n, bool → 0/1, list → buckets; undefined if malformed. */
function toRawValue(v: unknown): RawValue | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  const list = arr(v);
  if (list) {
    const buckets = list.map(long);
    return buckets.every((b): b is number => b !== undefined && b >= 0) ? buckets : undefined;
  }
  const n = long(v);
  return n !== undefined && n >= 0 ? n : undefined;
}

function writeSlots(list: StatList, byPos: (RawValue | undefined)[]): number[] {
  const values: number[] = [];
  for (let i = 0; i < list.stats.length; i++) {
    const v = byPos[i];
    if (v === undefined) values.push(-1);
    else if (typeof v === 'number') values.push(v);
    else {
      values.push(v.length);
      for (const b of v) values.push(b);
    }
  }
  return values;
}

interface Encoded {
  values: number[];
  extra: NamedStat[];
}

/** Any reply order, duplicates (the last wins): via a position table. */
function encodeAnyOrder(list: StatList | undefined, stats: readonly unknown[]): Encoded {
  const byPos: (RawValue | undefined)[] = new Array<RawValue | undefined>(list?.stats.length ?? 0);
  const extra: NamedStat[] = [];
  for (const s of stats) {
    if (!isObject(s)) continue;
    const name = str(s['name']);
    const value = name === undefined ? undefined : toRawValue(s['value']);
    if (name === undefined || value === undefined) continue;
    const pos = list?.position.get(name);
    if (list && pos !== undefined && list.histogram[pos] === Array.isArray(value)) byPos[pos] = value;
    else extra.push({ name, values: typeof value === 'number' ? [value] : value });
  }
  return { values: list ? writeSlots(list, byPos) : [], extra };
}

/**
 * Slots of the StatsResult being encoded, reused: the values are copied out once, at
 * their exact length, instead of growing an array by push (which allocated about twice
 * the final size per result: 8.8 KB per poll of a 2-vCPU KVM guest, the agent's largest
 * allocation after JSON.parse, measured with the sampling heap profiler). Never exposed.
 */
const slots: number[] = [];

/**
 * The common case, QEMU listing stats in schema order (gaps allowed): slots are
 * written as the reply is read, with no intermediate arrays. Undefined as soon as a
 * stat comes before one already written (out of order, or a duplicate): the caller
 * then uses encodeAnyOrder, so both give the same result.
 */
function encodeInOrder(list: StatList, stats: readonly unknown[]): Encoded | undefined {
  const extra: NamedStat[] = [];
  let n = 0;
  let next = 0;
  for (const s of stats) {
    if (!isObject(s)) continue;
    const name = s['name'];
    if (typeof name !== 'string') continue;
    const v = s['value'];
    const pos = list.stats[next]?.name === name ? next : list.position.get(name);
    if (pos === undefined || list.histogram[pos] !== Array.isArray(v)) {
      const raw = toRawValue(v);
      if (raw !== undefined) extra.push({ name, values: typeof raw === 'number' ? [raw] : raw });
      continue;
    }
    if (pos < next) return undefined;
    const mark = n;
    for (let i = next; i < pos; i++) slots[n++] = -1;
    if (Array.isArray(v)) {
      slots[n++] = v.length;
      let ok = true;
      for (const b of v) {
        const x = long(b);
        if (x === undefined || x < 0) {
          ok = false;
          break;
        }
        slots[n++] = x;
      }
      if (!ok) {
        n = mark;
        continue;
      } // malformed: the slot stays missing (-1)
    } else {
      const x = typeof v === 'boolean' ? (v ? 1 : 0) : long(v);
      if (x === undefined || x < 0) {
        n = mark;
        continue;
      }
      slots[n++] = x;
    }
    next = pos + 1;
  }
  for (let i = next; i < list.stats.length; i++) slots[n++] = -1;
  return { values: slots.slice(0, n), extra };
}

/** Encodes one StatsResult of a reply; undefined when the entry is malformed. */
export function encodeStatsResult(index: StatsIndex | null, target: string, entry: unknown): StatsResult | undefined {
  const e = obj(entry);
  const provider = str(e?.['provider']);
  const stats = arr(e?.['stats']);
  if (!e || provider === undefined || !stats) return undefined;
  const list = index ? findStatList(index, provider, target) : undefined;
  const { values, extra } = (list && encodeInOrder(list, stats)) || encodeAnyOrder(list, stats);
  return { target, provider, qomPath: str(e['qom-path']) ?? null, values, extra };
}

/**
 * Encodes a tick's query-stats replies. `stats` is null when there is nothing to
 * report (every reply empty, as under TCG). Without a snapshot, everything goes to
 * `extra` and schemaHash is ''. `malformed` lists targets whose reply was not an array
 * or had malformed entries (those entries are dropped).
 */
export function encodeStats(index: StatsIndex | null, replies: readonly StatsReply[]): { stats: StatsValues | null; malformed: string[] } {
  const results: StatsResult[] = [];
  const malformed: string[] = [];
  for (const { target, reply } of replies) {
    const entries = arr(reply);
    if (!entries) {
      malformed.push(target);
      continue;
    }
    let bad = false;
    for (const entry of entries) {
      const r = encodeStatsResult(index, target, entry);
      if (r) results.push(r);
      else bad = true;
    }
    if (bad) malformed.push(target);
  }
  const stats = results.length === 0 ? null : { schemaHash: index?.snapshot.hash ?? '', results };
  return { stats, malformed };
}
