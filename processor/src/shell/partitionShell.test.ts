/**
 * The partition shell with a sink added by the test itself, through the sink factory:
 * it receives each batch's outputs, before-commit sinks are durable before the commit
 * starts, after-commit sinks see the batch only once the commit succeeded, and a failure
 * on either side of the commit ends the batch the way the transports expect.
 */
import { describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '#common/log.js';
import { encodeRaw, decodeRaw } from '#schemas/codecs/raw.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { SinksConfig } from '#schemas/config/sinks.js';
import { replayFile } from '#tools/transcript/replay.js';
import { fixturePath } from '#test/support/fixtures.js';
import { memoryStore } from '#test/support/memoryStore.js';
import { createCore } from '../core/step.js';
import { initialPartitionState, processBatch, type InputMessage, type PartitionEnv } from '../partition/partitionStep.js';
import type { CommitRecords, Sink, SinkBatch, SinkFactory, SinkPhase } from '../sinks/sink.js';
import { rollupWindowCodec } from '#schemas/codecs/rollupWindows.js';
import { buildSinks, SINK_FACTORIES } from '../sinks/sinks.js';
import { runPartitionBatch, type ShellDeps } from './partitionShell.js';

const messages: InputMessage[] = replayFile(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records.map((r, i) => ({
  offset: i,
  timestamp: r.t,
  key: Buffer.from(r.vm.uuid),
  value: encodeRaw(r),
}));
const env = (): PartitionEnv => ({
  core: createCore({ ...defaultProcessorConfig(), rollup: { resolutionsMs: [10_000] } }),
  decode: decodeRaw,
  allowedLatenessMs: 1_000,
});
const cfg = { s3: { prefix: 'rollups' }, ...SinksConfig.parse({}) };

/** The test's own sink, one file's worth: it notes what it got, in a log shared with the commit. */
function ledgerSink(name: string, phase: SinkPhase, log: string[], got: SinkBatch[]): Sink {
  return {
    name,
    phase,
    async deliver(batch) {
      log.push(`${name}:start`);
      await new Promise((r) => setImmediate(r)); // durable only later: the commit must wait for it
      got.push(batch);
      log.push(`${name}:durable`);
    },
  };
}

function setup(extra: (log: string[], got: SinkBatch[]) => SinkFactory[]) {
  const log: string[] = [];
  const got: SinkBatch[] = [];
  const store = memoryStore();
  const sinks = buildSinks(cfg, { store, log: silentLogger }, [...SINK_FACTORIES, ...extra(log, got)]);
  const failures: string[] = [];
  const deps: ShellDeps = { env: env(), sinks, log: silentLogger, onSinkFailure: (s) => failures.push(`${s.name}/${s.phase}`) };
  return { log, got, store, sinks, deps, failures };
}

describe('partition shell', () => {
  it('a sink registered through the factory receives the batch; before-commit ones are durable before the commit, after-commit ones follow it', async () => {
    const t = setup((log, got) => [() => ledgerSink('audit', 'beforeCommit', log, got), () => ledgerSink('mirror', 'afterCommit', log, got)]);
    expect(t.sinks.map((s) => `${s.name}/${s.phase}`)).toEqual(['parquetRollups/beforeCommit', 'audit/beforeCommit', 'mirror/afterCommit']);
    const state = initialPartitionState('raw', 0);
    const outcome = await runPartitionBatch(state, messages, t.deps, async () => {
      t.log.push(`commit:objects=${t.store.objects.size}`);
    });

    const reference = processBatch(initialPartitionState('raw', 0), messages, env()).outputs;
    expect(outcome.result).toBe('done');
    expect(reference.alerts.length).toBeGreaterThan(0);
    expect(reference.windows.length).toBeGreaterThan(0);
    const objects = reference.windows.filter((w) => w.rows.length > 0).length;
    expect(t.log).toEqual(['audit:start', 'audit:durable', `commit:objects=${objects}`, 'mirror:start', 'mirror:durable']);
    expect(t.got.map((b) => [b.partition, b.replayed])).toEqual([
      [0, false],
      [0, false],
    ]);
    expect(t.got[0]!.outputs).toEqual(reference);
    expect(t.got[1]!.outputs).toBe(t.got[0]!.outputs);
    expect(t.got[0]!.state.nextOffset).toBe(messages.length);
  });

  it('a before-commit sink that fails: no commit, no after-commit sink, the failure counted', async () => {
    const t = setup((log, got) => [
      () => ({ name: 'down', phase: 'beforeCommit', deliver: () => Promise.reject(new Error('bucket unreachable')) }),
      () => ledgerSink('mirror', 'afterCommit', log, got),
    ]);
    let commits = 0;
    const outcome = await runPartitionBatch(initialPartitionState('raw', 0), messages, t.deps, async () => void commits++);
    expect(outcome).toMatchObject({ result: 'sinkFailed', sink: 'down', error: new Error('bucket unreachable') });
    expect(commits).toBe(0);
    expect(t.got).toEqual([]);
    expect(t.failures).toEqual(['down/beforeCommit']);
  });

  it('a commit that fails: after-commit sinks never see the batch', async () => {
    const t = setup((log, got) => [() => ledgerSink('mirror', 'afterCommit', log, got)]);
    const outcome = await runPartitionBatch(initialPartitionState('raw', 0), messages, t.deps, () => Promise.reject(new Error('fenced')));
    expect(outcome).toMatchObject({ result: 'commitFailed', error: new Error('fenced') });
    expect(t.got).toEqual([]);
  });

  it('an after-commit sink that fails: the batch stays committed, the next sink still gets it, the failure is logged and counted', async () => {
    const lines: string[] = [];
    const t = setup((log, got) => [
      () => ({ name: 'flaky', phase: 'afterCommit', deliver: () => Promise.reject(new Error('queue closed')) }),
      () => ledgerSink('mirror', 'afterCommit', log, got),
    ]);
    const deps = { ...t.deps, log: createLogger({}, { level: 'warn', write: (l) => lines.push(l) }) };
    const outcome = await runPartitionBatch(initialPartitionState('raw', 0), messages, deps, async () => undefined);
    expect(outcome.result).toBe('done');
    expect(t.got).toHaveLength(1);
    expect(t.failures).toEqual(['flaky/afterCommit']);
    expect(lines.join('')).toMatch(/after-commit sink failed.*"sink":"flaky".*queue closed/);
  });

  it('a silent replay (no commit) hands the outputs to every sink again, marked replayed; a redelivery goes nowhere', async () => {
    const t = setup((log, got) => [() => ledgerSink('audit', 'beforeCommit', log, got), () => ledgerSink('mirror', 'afterCommit', log, got)]);
    const state = initialPartitionState('raw', 0);
    expect((await runPartitionBatch(state, messages.slice(0, 30), t.deps, null)).result).toBe('done');
    expect(t.got.map((b) => b.replayed)).toEqual([true, true]);
    const again = await runPartitionBatch(state, messages.slice(0, 30), t.deps, async () => void t.log.push('commit'));
    expect(again.result).toBe('nothing');
    expect(again.outputs.skipped).toBe(30);
    expect(t.got).toHaveLength(2);
    expect(t.log).not.toContain('commit');
  });

  it('with a transaction (the Kafka runtime), rollup windows go into the commit as rollups-topic records, not to S3; a replay leaves them out', async () => {
    const log: string[] = [];
    const store = memoryStore();
    const transaction = { rollupsTopic: 'rollups', maxRowsPerRecord: 2_000, maxRecordBytes: 512 << 10 };
    const sinks = buildSinks(cfg, { store, transaction, log: silentLogger });
    expect(sinks.map((s) => `${s.name}/${s.phase}`)).toEqual(['rollupsTopic/inCommit']);
    const deps: ShellDeps = { env: env(), sinks, log: silentLogger };
    const committed: CommitRecords[][] = [];
    const outcome = await runPartitionBatch(initialPartitionState('raw', 4), messages, deps, async (_, records) => {
      log.push('commit');
      committed.push([...records]);
    });
    expect(outcome.result).toBe('done');
    const windows = processBatch(initialPartitionState('raw', 4), messages, env()).outputs.windows;
    expect(committed).toHaveLength(1);
    expect(committed[0]!.map((r) => r.topic)).toEqual(['rollups']);
    const decoded = committed[0]![0]!.messages.map((m) => rollupWindowCodec().decode(m.value as Buffer));
    expect(decoded.map((r) => `${r.partition}:${r.resolutionMs}:${r.windowStart}`)).toEqual(windows.map((w) => `4:${w.resolutionMs}:${w.windowStart}`));
    expect(store.objects.size).toBe(0);
    // A silent replay: the previous owner's transaction carried these records.
    const replay = await runPartitionBatch(initialPartitionState('raw', 4), messages, deps, null);
    expect(replay.result).toBe('done');
    expect(committed).toHaveLength(1);
  });

  it('an in-commit sink that cannot give its records: no commit, the failure counted', async () => {
    const t = setup(() => [
      () => ({
        name: 'broken',
        phase: 'inCommit',
        records: () => {
          throw new Error('cannot encode');
        },
      }),
    ]);
    let commits = 0;
    const outcome = await runPartitionBatch(initialPartitionState('raw', 0), messages, t.deps, async () => void commits++);
    expect(outcome).toMatchObject({ result: 'sinkFailed', sink: 'broken', error: new Error('cannot encode') });
    expect(commits).toBe(0);
    expect(t.failures).toEqual(['broken/inCommit']);
  });
});
