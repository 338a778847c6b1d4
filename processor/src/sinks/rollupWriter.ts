/**
 * Writes completed rollup windows to the object store: one Parquet object per input
 * partition per window, at a deterministic key, so rewriting after a crash or a
 * retry replaces the same object with the same bytes. Resolves only when every
 * object of the call is stored; the caller commits offsets after that.
 */
import { encodeRollupParquet } from './parquet.js';
import { rollupObjectKey } from './objectKey.js';
import type { ClosedWindow } from '../partition/rollupBuffer.js';
import type { ObjectStore } from './s3Store.js';

export interface RollupWriter {
  write(partition: number, windows: readonly ClosedWindow[]): Promise<string[]>;
}

export function createRollupWriter(store: ObjectStore, prefix: string): RollupWriter {
  return {
    async write(partition, windows) {
      const keys: string[] = [];
      for (const w of windows) {
        if (w.rows.length === 0) continue;
        const key = rollupObjectKey(prefix, w.resolutionMs, partition, w.windowStart);
        await store.put(key, encodeRollupParquet(w, partition), 'application/vnd.apache.parquet');
        keys.push(key);
      }
      return keys;
    },
  };
}
