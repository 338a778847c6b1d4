/**
 * Sink (before the commit): completed rollup windows as Parquet objects in S3, one per
 * input partition per window, at a deterministic key, so rewriting after a crash, a
 * retry or a replay replaces the same object with the same bytes. `deliver` resolves
 * only when every object of the batch is stored (the store retries with backoff); the
 * shell commits offsets after that, so they never pass rollups that are not durable.
 */
import { encodeRollupParquet } from './parquet.js';
import { rollupObjectKey } from './objectKey.js';
import type { Sink } from './sink.js';
import type { ObjectStore } from './s3Store.js';

export function parquetRollupSink(store: ObjectStore, prefix: string): Sink {
  return {
    name: 'parquetRollups',
    phase: 'beforeCommit',
    async deliver({ partition, outputs }) {
      for (const w of outputs.windows) {
        if (w.rows.length === 0) continue;
        const key = rollupObjectKey(prefix, w.resolutionMs, partition, w.windowStart);
        await store.put(key, encodeRollupParquet(w, partition), 'application/vnd.apache.parquet');
      }
    },
  };
}
