/**
 * The VM's memory from QMP replies, pure (#schemas/memoryStats.ts names each figure).
 * Wire shapes:
 *
 *   qom-list {path: /machine/peripheral | /machine/peripheral-anon}
 *                              [{name, type: "child<virtio-balloon-pci>"}, …]: the balloon
 *                              device's path, found once per connection
 *   query-memory-size-summary  {base-memory, plugged-memory?}: the guest's RAM, once per connection
 *   query-balloon              {actual}: the balloon's size in bytes; an error ("No balloon
 *                              device has been activated") without a balloon
 *   qom-get {path: <balloon>, property: guest-stats}
 *                              {stats: {stat-swap-in, …}, last-update}: what the guest's driver
 *                              last reported; QEMU gives 2^64 − 1 for a figure never reported
 *                              and last-update 0 before the first report (the guest reports
 *                              only while guest-stats-polling-interval is set: libvirt's
 *                              <memballoon><stats period/>, or the device's property)
 *
 * A figure never reported, or a reply of the wrong shape, is null (unknown, never 0).
 * `rss` comes from the host's procfs reading (tick.ts ProcessStats), not from QMP.
 */
import { GUEST_MEMORY_STATS, emptyMemoryStats, type MemoryStats } from '#schemas/memoryStats.js';
import { num, obj, objects, str } from './json.js';
import type { Tick } from './tick.js';

/** As buildSample's: a reply of the wrong shape. */
const MALFORMED = 'MalformedReply';

/** QEMU's "not reported" (uint64 −1) and anything past an Avro long: parsed JSON puts it at 2^64. */
const UNREPORTED = 2 ** 63;

function figure(v: unknown): number | null {
  const n = num(v);
  return n === undefined || n < 0 || n >= UNREPORTED || !Number.isSafeInteger(n) ? null : n;
}

/** The path of the first virtio-balloon device in qom-list replies of /machine/peripheral and /machine/peripheral-anon. */
export function balloonPath(lists: ReadonlyArray<{ path: string; reply: unknown }>): string | undefined {
  for (const { path, reply } of lists) {
    for (const p of objects(reply) ?? []) {
      const name = str(p['name']);
      if (name !== undefined && /^[A-Za-z0-9_.[\]-]{1,64}$/.test(name) && /^child<virtio-balloon-/.test(str(p['type']) ?? '')) return `${path}/${name}`;
    }
  }
  return undefined;
}

/** The guest's RAM in bytes (base + hot-plugged), or null. */
export function memorySize(reply: unknown): number | null {
  const r = obj(reply);
  const base = figure(r?.['base-memory']);
  if (base === null) return null;
  return base + (figure(r?.['plugged-memory']) ?? 0);
}

/** query-balloon's `actual`, bytes, or null. */
export function balloonActual(reply: unknown): number | null {
  return figure(obj(reply)?.['actual']);
}

/** The guest's figures of a guest-stats reply (every other field null); undefined when the reply has no `stats` object. */
export function guestMemory(reply: unknown): MemoryStats | undefined {
  const r = obj(reply);
  const stats = obj(r?.['stats']);
  if (!stats) return undefined;
  const m = emptyMemoryStats();
  for (const row of GUEST_MEMORY_STATS) m[row.field] = figure(stats[row.qmp]);
  const last = figure(r?.['last-update']);
  m.lastUpdate = last === 0 ? null : last; // 0: the guest has not reported yet
  return m;
}

/** The figures a tick's memory replies give, over the last known ones (the slow group reads them). Malformed replies are reported and change nothing. */
export function foldMemory(known: MemoryStats, tick: Tick, errors: string[]): MemoryStats {
  const r = tick.replies;
  let next = known;
  if (Object.hasOwn(r, 'query-memory-size-summary')) {
    const max = memorySize(r['query-memory-size-summary']);
    if (max === null) errors.push(`query-memory-size-summary: ${MALFORMED}`);
    else next = { ...next, maximumBytes: max };
  }
  if (Object.hasOwn(r, 'query-balloon')) {
    const actual = balloonActual(r['query-balloon']);
    if (actual === null) errors.push(`query-balloon: ${MALFORMED}`);
    else next = { ...next, currentBytes: actual };
  }
  if (Object.hasOwn(r, 'qom-get:guest-stats')) {
    const guest = guestMemory(r['qom-get:guest-stats']);
    if (!guest) errors.push(`qom-get:guest-stats: ${MALFORMED}`);
    else next = { ...guest, currentBytes: next.currentBytes, maximumBytes: next.maximumBytes, rssBytes: null };
  }
  return next;
}

/** The Sample's memory: the known figures and this tick's RSS; null when every one is unknown. */
export function sampleMemory(known: MemoryStats, rssKb: number | null | undefined): MemoryStats | null {
  const m = rssKb === null || rssKb === undefined ? known : { ...known, rssBytes: rssKb * 1024 };
  for (const k in m) if (m[k as keyof MemoryStats] !== null) return m;
  return null;
}
