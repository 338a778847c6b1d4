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

/** Visits every node name of one query-blockstats entry (nested parent/backing); stops when `visit` returns true. */
function walk(entry: JsonObject, visit: (name: string) => boolean, depth: number): boolean {
  const name = str(entry['node-name']);
  if (name && visit(name)) return true;
  if (depth > 64) return false; // a malformed, absurdly deep reply
  const parent = obj(entry['parent']);
  if (parent && walk(parent, visit, depth + 1)) return true;
  const backing = obj(entry['backing']);
  return backing !== undefined && walk(backing, visit, depth + 1);
}

function walkReplies(replies: readonly unknown[], visit: (name: string) => boolean): boolean {
  for (const reply of replies) {
    const entries = arr(reply);
    if (entries) for (const e of entries) if (isObject(e) && walk(e, visit, 0)) return true;
  }
  return false;
}

/** Every node name in query-blockstats replies (device mode, nested; and {query-nodes:true}, flat). */
export function blockstatsNodeNames(...replies: unknown[]): Set<string> {
  const names = new Set<string>();
  walkReplies(replies, (n) => {
    names.add(n);
    return false;
  });
  return names;
}

/** Whether the query-blockstats replies name a node `known` does not (allocates nothing on the common path). */
export function namesUnknownNode(known: ReadonlySet<string>, ...replies: unknown[]): boolean {
  return walkReplies(replies, (n) => !known.has(n));
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
