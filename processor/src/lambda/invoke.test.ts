/**
 * The Lambda invocation: its sinks against its commit (the conditional checkpoint), and
 * a checkpoint it cannot use (a newer release wrote it, or it is damaged): it says so and
 * goes on from the event with an empty state, replacing the checkpoint conditionally,
 * instead of failing every invocation of the partition.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '#common/log.js';
import { encodeRaw, decodeRaw } from '#schemas/codecs/raw.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { replayFile } from '#tools/transcript/replay.js';
import { fixturePath } from '#test/support/fixtures.js';
import { createCore } from '../core/step.js';
import { decodeCheckpoint, encodeCheckpoint } from '../partition/partitionCheckpoint.js';
import { initialPartitionState, type PartitionState } from '../partition/partitionStep.js';
import type { Sink, SinkPhase } from '../sinks/sink.js';
import { parquetRollupSink } from '../sinks/parquetRollups.js';
import { memoryStore } from '#test/support/memoryStore.js';
import { toKafkaEvent } from './event.js';
import { checkpointObjectKey, invoke } from './invoke.js';

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
      sinks: [parquetRollupSink(store, 'rollups')],
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

  it('a sink in the list: before-commit ones see no checkpoint yet, after-commit ones the checkpoint with the alerts in its outbox, and both are flushed', async () => {
    const store = memoryStore();
    const key = checkpointObjectKey('checkpoints', 'raw', 3);
    const records = replayFile(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records;
    const messages = records.map((r, i) => ({ offset: i, timestamp: r.t, key: null, value: encodeRaw(r) }));
    const seen: string[] = [];
    const checkpointNow = () => {
      const o = store.objects.get(key);
      return o ? (decodeCheckpoint(o.body, { topic: 'raw', partition: 3 }) as PartitionState & { outbox?: unknown[] }) : null;
    };
    const watcher = (phase: SinkPhase): Sink => ({
      name: phase,
      phase,
      async deliver({ partition, outputs }) {
        const c = checkpointNow();
        seen.push(`${phase} p${partition}: ${outputs.alerts.length} alerts, checkpoint ${c ? `at ${c.nextOffset} outbox ${c.outbox?.length}` : 'none'}`);
      },
      async flush() {
        seen.push(`${phase} flushed`);
      },
    });
    const published: unknown[] = [];
    await invoke(toKafkaEvent([{ topic: 'raw', partition: 3, messages }]), {
      env: { core: createCore(defaultProcessorConfig()), decode: decodeRaw, allowedLatenessMs: 10_000 },
      store,
      sinks: [watcher('afterCommit'), watcher('beforeCommit')],
      alerts: { publish: async (a) => void published.push(...a) },
      checkpointPrefix: 'checkpoints',
      deadLetterPrefix: 'deadletters',
    });
    const n = published.length;
    expect(n).toBeGreaterThan(0);
    expect(seen).toEqual([
      `beforeCommit p3: ${n} alerts, checkpoint none`,
      `afterCommit p3: ${n} alerts, checkpoint at ${records.length} outbox ${n}`,
      'afterCommit flushed',
      'beforeCommit flushed',
    ]);
    expect(checkpointNow()!.outbox).toEqual([]); // published, then cleared
  });
});
