import { describe, expect, it } from 'vitest';
import { decodeRaw } from '#schemas/codecs/raw.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { createCore } from '../core/step.js';
import { parquetRollupSink } from '../sinks/parquetRollups.js';
import type { ObjectStore } from '../sinks/s3Store.js';
import { createHandler } from './handler.js';
import type { InvokeDeps } from './invoke.js';

const nowhere: ObjectStore = {
  put: async () => undefined,
  get: async () => null,
  putIfMatch: async () => 'e',
  list: async () => [],
};
const deps: InvokeDeps = {
  env: { core: createCore(defaultProcessorConfig()), decode: decodeRaw, allowedLatenessMs: 10_000 },
  store: nowhere,
  sinks: [parquetRollupSink(nowhere, 'rollups')],
  alerts: { publish: async () => undefined },
  checkpointPrefix: 'checkpoints',
  deadLetterPrefix: 'deadletters',
};
const event = { eventSource: 'SelfManagedKafka', records: {} };

describe('Lambda handler', () => {
  it('a cold start whose init failed (a Kafka hiccup) fails that invocation only: the next one initializes again', async () => {
    let inits = 0;
    const handler = createHandler(async () => {
      if (++inits === 1) throw new Error('KafkaJSConnectionError: connect ECONNREFUSED');
      return deps;
    });
    await expect(handler(event)).rejects.toThrow(/ECONNREFUSED/);
    await expect(handler(event)).resolves.toEqual({ partitions: [] });
    await expect(handler(event)).resolves.toEqual({ partitions: [] });
    expect(inits).toBe(2); // once more after the failure, then kept
  });
});
