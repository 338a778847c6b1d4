/**
 * The rollup writer's objects, per rollups-topic partition (a lane): complete windows
 * (assembly.ts) → few large Parquet objects, one per raw-topic partition, resolution and
 * span (an hour under 1 h, a day for 1 h and longer: objectKey.ts). Pure but for the
 * clock the caller passes; the encoder is given (`ObjectBuilder`).
 *
 *   addWindow(objs, w, now)      → the objects it completes; or `skipped` (already stored)
 *   objectStored(objs, obj)      → its put succeeded: its windows count as stored
 *   idleObjects(objs, now, ms)   → objects no window was added to for `ms` (a quiet stream)
 *   allObjects(objs)             → every open object (the writer stops)
 *
 * An object is cut, in this order: before a window of another span (or one not after
 * its last); before a window that would take it past `maxRows`; after the window that
 * ends its span, or that takes it to `maxBytes` (encoded). These cuts follow from the
 * windows alone: a writer that reads the same windows from the same first one writes the
 * same keys with the same bytes. `idleObjects` and `allObjects` cut by the clock.
 *
 * No row twice: a window is never written after a stored object's last window of its
 * span. The caller lists each span the lane meets once (`needsListing`, `setListed`:
 * the highest window start the keys there name), and every put adds to it. After a
 * restart the lane reads again from its committed offset, the first record of the
 * oldest window not stored; a window read again that a stored object already holds is
 * skipped (and its record counts as stored), the next one starts an object where the
 * stored one ended. None missing: the commit never passes a window not stored
 * (its first offset is held in the lane until `objectStored`).
 */
import type { ClosedWindow } from '../partition/rollupBuffer.js';
import { parseRollupObjectKey, rollupObjectKey, rollupSpanPrefix, spanMs, spanStart } from '../sinks/objectKey.js';
import type { CompleteWindow } from './assembly.js';

/** Encodes one object; each window appended is one row group. */
export interface ObjectBuilder {
  append(w: ClosedWindow): void;
  readonly rows: number;
  /** Encoded bytes so far. */
  readonly bytes: number;
  finish(): Uint8Array;
}

export interface ObjectSettings {
  prefix: string;
  maxRows: number;
  maxBytes: number;
  builder: (partition: number) => ObjectBuilder;
}

interface OpenObject {
  partition: number;
  resolutionMs: number;
  spanStart: number;
  firstStart: number;
  lastStart: number;
  /** The lane's handles (first offsets) of its windows. */
  handles: number[];
  builder: ObjectBuilder;
  /** When the last window was added (the caller's clock). */
  touchedAt: number;
}

export interface ReadyObject {
  key: string;
  /** Raw-topic partition, resolution and span: the listing it extends. */
  span: string;
  lastStart: number;
  windows: number;
  rows: number;
  /** Bytes of its row groups (the body adds the footer). */
  bytes: number;
  body: Uint8Array;
  /** First offsets of its windows in the lane: `markStored` each once the put succeeded. */
  handles: number[];
}

export interface LaneObjects {
  /** By raw-topic partition and resolution: the object windows are added to. */
  open: Map<string, OpenObject>;
  /** By span: the last window start stored there (null: none); absent until listed. */
  stored: Map<string, number | null>;
}

export function emptyObjects(): LaneObjects {
  return { open: new Map(), stored: new Map() };
}

const streamOf = (partition: number, resolutionMs: number) => `${partition}:${resolutionMs}`;

function spanOf(partition: number, resolutionMs: number, windowStart: number): string {
  return `${partition}:${resolutionMs}:${spanStart(resolutionMs, windowStart)}`;
}

/** The folder to list before the window can be added, or null when its span was listed. */
export function needsListing(objs: LaneObjects, s: ObjectSettings, w: CompleteWindow): string | null {
  const { resolutionMs, windowStart } = w.window;
  if (objs.stored.has(spanOf(w.partition, resolutionMs, windowStart))) return null;
  return `${rollupSpanPrefix(s.prefix, resolutionMs, windowStart)}part-${w.partition}-`;
}

/** The listing of the window's span folder: the highest window start its objects of this partition hold. */
export function setListed(objs: LaneObjects, w: CompleteWindow, keys: readonly string[]): void {
  let last: number | null = null;
  for (const k of keys) {
    const n = parseRollupObjectKey(k);
    if (n && n.partition === w.partition && (last === null || n.lastStart > last)) last = n.lastStart;
  }
  objs.stored.set(spanOf(w.partition, w.window.resolutionMs, w.window.windowStart), last);
}

/** Adds a complete window (its span listed); returns the objects that are complete now. */
export function addWindow(objs: LaneObjects, s: ObjectSettings, w: CompleteWindow, now: number): { ready: ReadyObject[]; skipped: boolean } {
  const { resolutionMs, windowStart, rows } = w.window;
  const span = spanOf(w.partition, resolutionMs, windowStart);
  const stored = objs.stored.get(span);
  if (stored === undefined) throw new Error(`rollup writer: span ${span} added to before it was listed`);
  if (stored !== null && windowStart <= stored) return { ready: [], skipped: true };
  const ready: ReadyObject[] = [];
  const id = streamOf(w.partition, resolutionMs);
  let open = objs.open.get(id);
  if (open && (open.spanStart !== spanStart(resolutionMs, windowStart) || windowStart <= open.lastStart || open.builder.rows + rows.length > s.maxRows)) {
    ready.push(close(objs, s, id, open));
    open = undefined;
  }
  if (!open) {
    open = {
      partition: w.partition,
      resolutionMs,
      spanStart: spanStart(resolutionMs, windowStart),
      firstStart: windowStart,
      lastStart: windowStart,
      handles: [],
      builder: s.builder(w.partition),
      touchedAt: now,
    };
    objs.open.set(id, open);
  }
  open.builder.append(w.window);
  open.handles.push(w.firstOffset);
  open.lastStart = windowStart;
  open.touchedAt = now;
  const endsSpan = windowStart + resolutionMs >= open.spanStart + spanMs(resolutionMs);
  if (endsSpan || open.builder.bytes >= s.maxBytes) ready.push(close(objs, s, id, open));
  return { ready, skipped: false };
}

function close(objs: LaneObjects, s: ObjectSettings, id: string, o: OpenObject): ReadyObject {
  objs.open.delete(id);
  return {
    key: rollupObjectKey(s.prefix, o.resolutionMs, o.partition, o.firstStart, o.lastStart),
    span: `${o.partition}:${o.resolutionMs}:${o.spanStart}`,
    lastStart: o.lastStart,
    windows: o.handles.length,
    rows: o.builder.rows,
    bytes: o.builder.bytes,
    body: o.builder.finish(),
    handles: o.handles,
  };
}

/** The object's put succeeded: its windows are stored (a window read again up to its last is skipped). */
export function objectStored(objs: LaneObjects, obj: ReadyObject): void {
  const before = objs.stored.get(obj.span);
  if (before === undefined || before === null || obj.lastStart > before) objs.stored.set(obj.span, obj.lastStart);
}

/** Closes and returns the objects no window was added to since `now - idleMs`. */
export function idleObjects(objs: LaneObjects, s: ObjectSettings, now: number, idleMs: number): ReadyObject[] {
  const out: ReadyObject[] = [];
  for (const [id, o] of [...objs.open]) if (now - o.touchedAt >= idleMs) out.push(close(objs, s, id, o));
  return out;
}

/** Closes and returns every open object. */
export function allObjects(objs: LaneObjects, s: ObjectSettings): ReadyObject[] {
  return [...objs.open].map(([id, o]) => close(objs, s, id, o));
}

/** Closes and returns the open object holding the most bytes; null when none is open. */
export function largestObject(objs: LaneObjects, s: ObjectSettings): ReadyObject | null {
  let best: [string, OpenObject] | null = null;
  for (const e of objs.open) if (best === null || e[1].builder.bytes > best[1].builder.bytes) best = e;
  return best === null ? null : close(objs, s, best[0], best[1]);
}

/** Encoded bytes held in open objects. */
export function bufferedBytes(objs: LaneObjects): number {
  let n = 0;
  for (const o of objs.open.values()) n += o.builder.bytes;
  return n;
}
