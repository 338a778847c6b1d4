/**
 * Narrowing helpers for untrusted QMP JSON. QMP replies are input from another
 * process: every mapper in this folder reads them through these functions and
 * never casts, so a reply of the wrong shape yields `undefined`, not a throw.
 */

export type JsonObject = Record<string, unknown>;

/** Largest integer avsc accepts for an Avro `long` (its isSafeLong bound). */
export const MAX_LONG = 9007199254740990;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown): JsonObject | undefined {
  return isObject(v) ? v : undefined;
}

export function arr(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

/** The elements of `v` that are objects; undefined when `v` is not an array. */
export function objects(v: unknown): JsonObject[] | undefined {
  const a = arr(v);
  return a?.filter(isObject);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A finite number, else undefined. */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * A QMP integer as an Avro long: finite, truncated, clamped to the safe range
 * (QMP uint64 counters above 2^53 lose precision in JSON.parse anyway).
 */
export function long(v: unknown): number | undefined {
  const n = num(v);
  if (n === undefined) return undefined;
  const t = Math.trunc(n);
  return t > MAX_LONG ? MAX_LONG : Math.max(t, -MAX_LONG);
}

export function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}
