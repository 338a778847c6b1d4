/**
 * The demo's closing check that every rollup window reached S3: the windows the processor
 * published to the run's rollups topic (read to its end, read_committed) against the
 * objects in the bucket, by object key. A window whose object is missing means the rollup
 * writer could not store it (S3 down, refused): the demo says so and exits non-zero.
 */
import type { Kafka } from 'kafkajs';
import { readCompacted } from '#processor/input/readCompacted.js';
import { rollupObjectKey } from '#processor/sinks/objectKey.js';
import { rollupWindowCodec } from '#schemas/codecs/rollupWindows.js';

export interface RollupsCheck {
  /** Windows published to the rollups topic. */
  published: number;
  /** Their object keys that are not in the bucket, sorted. */
  missing: string[];
}

export async function checkRollupsStored(kafka: Kafka, topic: string, prefix: string, storedKeys: readonly string[]): Promise<RollupsCheck> {
  const records = await readCompacted(kafka, topic, { keyOf: (p, o) => `${p}:${o}` });
  const codec = rollupWindowCodec();
  const windows = new Set<string>();
  for (const { value } of records.values()) {
    if (!value) continue;
    const r = codec.decode(value);
    windows.add(rollupObjectKey(prefix, r.resolutionMs, r.partition, r.windowStart));
  }
  const stored = new Set(storedKeys);
  return { published: windows.size, missing: [...windows].filter((k) => !stored.has(k)).sort() };
}
