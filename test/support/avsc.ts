/** Reading parsed .avsc files in tests: a record's fields wherever it is nested. */

export interface AvroField {
  name: string;
  type: unknown;
  default?: unknown;
}

/** The fields of the record named `name`, found anywhere in a parsed .avsc. */
export function recordFields(schema: unknown, name: string): AvroField[] | undefined {
  if (Array.isArray(schema)) {
    for (const s of schema) {
      const found = recordFields(s, name);
      if (found) return found;
    }
    return undefined;
  }
  if (schema === null || typeof schema !== 'object') return undefined;
  const o = schema as Record<string, unknown>;
  if (o['type'] === 'record' && o['name'] === name) return o['fields'] as AvroField[];
  for (const key of ['type', 'fields', 'items', 'values']) {
    const found = recordFields(o[key], name);
    if (found) return found;
  }
  return undefined;
}
