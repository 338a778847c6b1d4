/** An in-memory ObjectStore (a unit-test double at the S3 interface), with ETags for the conditional writes. */
import type { ObjectStore } from '#processor/sinks/s3Store.js';

export function memoryStore(): ObjectStore & { objects: Map<string, { body: Buffer; etag: string }> } {
  const objects = new Map<string, { body: Buffer; etag: string }>();
  let n = 0;
  return {
    objects,
    async put(key, body) {
      objects.set(key, { body: Buffer.from(body), etag: `e${++n}` });
    },
    async get(key) {
      return objects.get(key) ?? null;
    },
    async putIfMatch(key, body, etag) {
      if ((objects.get(key)?.etag ?? null) !== etag) throw new Error(`precondition failed for ${key}`);
      const e = `e${++n}`;
      objects.set(key, { body: Buffer.from(body), etag: e });
      return e;
    },
    async list(prefix) {
      return [...objects.keys()].filter((k) => k.startsWith(prefix));
    },
  };
}
