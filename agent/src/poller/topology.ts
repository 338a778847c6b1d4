/**
 * When the slow group (query-block, query-named-block-nodes) must be read now rather
 * than at the next slow tick, pure. The chain's per-node facts (filename, sizes,
 * driver, write threshold) come from the slow group, joined by node name with every
 * fast tick; a node it does not know yet gets no facts, so the slow group is re-read:
 *
 * - after an event that changes the block graph: BLOCK_JOB_* and JOB_STATUS_CHANGE (a
 *   job adds a filter node, a commit or mirror pivots), DEVICE_ADDED / DEVICE_DELETED,
 *   DEVICE_TRAY_MOVED (a medium change);
 * - in the same tick, when query-blockstats names a node the last slow group did not
 *   have (a live snapshot, blockdev-add + an attach: no event says so).
 */
import { arr, isObject, obj, str, type JsonObject } from '../sample/json.js';

const EVENTS: ReadonlySet<string> = new Set(['JOB_STATUS_CHANGE', 'DEVICE_ADDED', 'DEVICE_DELETED', 'DEVICE_TRAY_MOVED']);

export function isTopologyEvent(event: string): boolean {
  return event.startsWith('BLOCK_JOB_') || EVENTS.has(event);
}

function collect(entry: JsonObject, into: Set<string>, depth: number): void {
  const name = str(entry['node-name']);
  if (name) into.add(name);
  if (depth > 64) return; // a malformed, absurdly deep reply
  for (const key of ['parent', 'backing'] as const) {
    const child = obj(entry[key]);
    if (child) collect(child, into, depth + 1);
  }
}

/** Every node name in query-blockstats replies (device mode, nested; and {query-nodes:true}, flat). */
export function blockstatsNodeNames(...replies: unknown[]): Set<string> {
  const names = new Set<string>();
  for (const reply of replies) for (const e of arr(reply) ?? []) if (isObject(e)) collect(e, names, 0);
  return names;
}

/** The node names of a query-named-block-nodes reply. */
export function namedNodeNames(reply: unknown): Set<string> {
  const names = new Set<string>();
  for (const e of arr(reply) ?? []) {
    const name = isObject(e) ? str(e['node-name']) : undefined;
    if (name) names.add(name);
  }
  return names;
}

/** Whether `seen` holds a node `known` does not. */
export function hasUnknownNode(seen: ReadonlySet<string>, known: ReadonlySet<string>): boolean {
  for (const n of seen) if (!known.has(n)) return true;
  return false;
}
