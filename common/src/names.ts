/**
 * Names are data. Uuids, host names, job ids, node, device and QOM names come from VMs,
 * QEMU and libvirt, and any string is a valid one, `__proto__`, `constructor` or
 * `toString` included. A table keyed by such names is a `Map`, or a `NameTable`: an
 * object without a prototype, so `t[name]`, `name in t`, `t[name] ??= v` and
 * `delete t[name]` see only the table's own entries (on a `{}`, `t['constructor']` is
 * Object's constructor and `t['__proto__'] = v` replaces the prototype). NameTables
 * serialize as JSON objects, so a JSON state keeps its format; a table parsed back
 * from JSON goes through `toNameTable`.
 */

/** A plain-JSON table keyed by outside names: always created by `nameTable`, never `{}`. */
export type NameTable<T> = Record<string, T>;

/** An empty table keyed by outside names (no prototype). */
export function nameTable<T>(): NameTable<T> {
  return Object.create(null) as NameTable<T>;
}

/**
 * The same entries in a table without a prototype (e.g. one parsed by JSON.parse,
 * which keeps a `__proto__` key as an own entry). Key order is kept.
 */
export function toNameTable<T>(from: Readonly<Record<string, T>>): NameTable<T> {
  const t = nameTable<T>();
  for (const k of Object.keys(from)) t[k] = from[k]!;
  return t;
}
