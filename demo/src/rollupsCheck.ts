/**
 * The demo's closing check that every rollup window reached S3: the windows the processor
 * published to the run's rollups topic (read to its end, read_committed) against the
 * objects in the bucket, whose keys name the windows they hold (partition, resolution,
 * first and last window start). A window no object holds means the rollup writer could
 * not store it (S3 down, refused): the demo says so and exits non-zero.
 */
import type { Kafka } from 'kafkajs';
import { readCompacted } from '#processor/input/readCompacted.js';
import { parseRollupObjectKey, resolutionLabel, rollupObjectKey } from '#processor/sinks/objectKey.js';
import { rollupWindowCodec } from '#schemas/codecs/rollupWindows.js';

export interface RollupsCheck {
  /** Windows published to the rollups topic. */
  published: number;
  /** The windows no stored object holds (as a one-window object's key), sorted. */
  missing: string[];
}

export async function checkRollupsStored(kafka: Kafka, topic: string, prefix: string, storedKeys: readonly string[]): Promise<RollupsCheck> {
  const records = await readCompacted(kafka, topic, { keyOf: (p, o) => `${p}:${o}` });
  const codec = rollupWindowCodec();
  const windows = new Map<string, { resolution: string; partition: number; windowStart: number }>();
  for (const { value } of records.values()) {
    if (!value) continue;
    const r = codec.decode(value);
    windows.set(rollupObjectKey(prefix, r.resolutionMs, r.partition, r.windowStart), {
      resolution: resolutionLabel(r.resolutionMs),
      partition: r.partition,
      windowStart: r.windowStart,
    });
  }
  const stored = storedKeys.map(parseRollupObjectKey).filter((n) => n !== null);
  const held = (w: { resolution: string; partition: number; windowStart: number }) =>
    stored.some((n) => n.resolution === w.resolution && n.partition === w.partition && n.firstStart <= w.windowStart && w.windowStart <= n.lastStart);
  return {
    published: windows.size,
    missing: [...windows]
      .filter(([, w]) => !held(w))
      .map(([k]) => k)
      .sort(),
  };
}
