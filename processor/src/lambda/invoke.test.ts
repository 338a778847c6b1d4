/**
 * The Lambda handler meets a checkpoint it cannot use (a newer release wrote it, or it is
 * damaged): it says so and goes on from the event with an empty state, replacing the
 * checkpoint conditionally, instead of failing every invocation of the partition.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '#common/log.js';
import { encodeRaw, decodeRaw } from '#schemas/codecs/raw.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { replayFile } from '#tools/transcript/replay.js';
import { fixturePath } from '#test/support/fixtures.js';
import { createCore } from '../core/step.js';
import { decodeCheckpoint, encodeCheckpoint } from '../partition/partitionCheckpoint.js';
import { initialPartitionState } from '../partition/partitionStep.js';
import { createRollupWriter } from '../sinks/rollupWriter.js';
import type { ObjectStore } from '../sinks/s3Store.js';
import { toKafkaEvent } from './event.js';
import { checkpointObjectKey, invoke } from './invoke.js';

function memoryStore(): ObjectStore & { objects: Map<string, { body: Buffer; etag: string }> } {
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

describe('Lambda invocation', () => {
  it('a checkpoint of a newer release: logged, the partition goes on from the event with an empty state', async () => {
    const store = memoryStore();
    const key = checkpointObjectKey('checkpoints', 'raw', 0);
    const newer = encodeCheckpoint(initialPartitionState('raw', 0, 40));
    newer[4] = 9;
    await store.put(key, newer, 'application/octet-stream');
    const records = replayFile(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records;
    const messages = records.map((r, i) => ({ offset: 100 + i, timestamp: r.t, key: null, value: encodeRaw(r) }));
    const lines: string[] = [];
    const published: unknown[] = [];
    const results = await invoke(toKafkaEvent([{ topic: 'raw', partition: 0, messages }]), {
      env: { core: createCore(defaultProcessorConfig()), decode: decodeRaw, allowedLatenessMs: 10_000 },
      store,
      rollups: createRollupWriter(store, 'rollups'),
      alerts: { publish: async (a) => void published.push(...a) },
      checkpointPrefix: 'checkpoints',
      deadLetterPrefix: 'deadletters',
      log: createLogger({}, { level: 'error', write: (l) => lines.push(l) }),
    });
    expect(results[0]!.processed).toBe(records.length);
    expect(published.length).toBeGreaterThan(0);
    expect(decodeCheckpoint(store.objects.get(key)!.body, { topic: 'raw', partition: 0 }).nextOffset).toBe(100 + records.length);
    expect(lines.join('')).toMatch(/checkpoint unusable by this release.*has version 9, this build reads 1/);
  });
});
