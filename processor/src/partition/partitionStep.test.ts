/**
 * processBatch's contract as its doc states it (it updates the state it is given, in
 * place, and returns it), and a record whose processing throws is a dead letter and the
 * partition goes on (regression: one such record threw the whole batch, so the partition
 * stopped at it).
 */
import { describe, expect, it } from 'vitest';
import { replayFile } from '#tools/transcript/replay.js';
import { fixturePath } from '#test/support/fixtures.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { decodeRaw, encodeRaw } from '#schemas/codecs/raw.js';
import type { RawRecord } from '#schemas/types.js';
import { createCore, type ProcessorCore } from '../core/step.js';
import { encodeCheckpoint } from './partitionCheckpoint.js';
import { flushPartition, initialPartitionState, processBatch, type InputMessage, type PartitionOutputs } from './partitionStep.js';

const records = replayFile(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl')).records;
const POISON_HOST = 'poison';

/** The real core, except that a record from POISON_HOST makes it throw before it changes anything (a double at the core interface). */
function coreWithPoison(): ProcessorCore {
  const real = createCore({ ...defaultProcessorConfig(), rollup: { resolutionsMs: [10_000] } }, { emitRates: true, emitPoints: true });
  return {
    ctx: real.ctx,
    step(state, input, opts) {
      const list: RawRecord[] = [...input];
      if (list.some((r) => r.vm.host === POISON_HOST)) throw new RangeError('invariant broken: allocation beyond capacity');
      return real.step(state, list, opts);
    },
    flush: (state) => real.flush(state),
  };
}

const env = () => ({ core: coreWithPoison(), decode: decodeRaw, allowedLatenessMs: 1_000 });

function messagesOf(recs: readonly RawRecord[]): InputMessage[] {
  return recs.map((r, i) => ({ offset: i, timestamp: r.t, key: null, value: encodeRaw(r) }));
}

/** What the records' consumers see: every output but the dead letters, as bytes. */
function seen(out: PartitionOutputs, flushed: unknown): string {
  return JSON.stringify({ alerts: out.alerts, rates: out.rates, points: out.points, windows: out.windows, flushed });
}

describe('processBatch with a record whose processing throws', () => {
  it('dead-letters it with the error and gives the other records exactly the outputs of a run without it', () => {
    const at = Math.floor(records.length / 2);
    const poison: RawRecord = { ...records[at]!, vm: { ...records[at]!.vm, host: POISON_HOST } };
    const clean = processBatch(initialPartitionState('raw', 0), messagesOf(records), env());
    const e = env();
    const poisoned = processBatch(initialPartitionState('raw', 0), messagesOf([...records.slice(0, at), poison, ...records.slice(at)]), e);

    expect(poisoned.outputs.deadLetters.map((d) => [d.offset, d.code, d.reason])).toEqual([
      [at, 'PROCESSING_FAILED', 'invariant broken: allocation beyond capacity'],
    ]);
    expect(poisoned.state.deadLetters).toBe(1);
    expect(poisoned.state.nextOffset).toBe(records.length + 1);
    expect(clean.outputs.alerts.length).toBeGreaterThan(10);
    expect(seen(poisoned.outputs, flushPartition(poisoned.state, e))).toBe(seen(clean.outputs, flushPartition(clean.state, env())));
  });

  it('the state after it checkpoints like the state without it', () => {
    const at = 10;
    const poison: RawRecord = { ...records[at]!, vm: { ...records[at]!.vm, host: POISON_HOST } };
    const clean = processBatch(initialPartitionState('raw', 0), messagesOf(records), env()).state;
    const poisoned = processBatch(initialPartitionState('raw', 0), messagesOf([poison, ...records]), env()).state;
    expect(encodeCheckpoint({ ...poisoned, nextOffset: clean.nextOffset, deadLetters: 0 })).toEqual(encodeCheckpoint(clean));
  });

  it('a record whose uuid is no uuid (__proto__ from query-uuid) is a dead letter INVALID_ID; the others are processed as without it', () => {
    const at = Math.floor(records.length / 2);
    const bad: RawRecord = { ...records[at]!, vm: { ...records[at]!.vm, uuid: '__proto__' } };
    const clean = processBatch(initialPartitionState('raw', 0), messagesOf(records), env());
    const e = env();
    const withBad = processBatch(initialPartitionState('raw', 0), messagesOf([...records.slice(0, at), bad, ...records.slice(at)]), e);
    expect(withBad.outputs.deadLetters.map((d) => [d.offset, d.code, d.reason])).toEqual([
      [at, 'INVALID_ID', 'VM uuid "__proto__" is neither a uuid nor name:<VM name>'],
    ]);
    expect(seen(withBad.outputs, flushPartition(withBad.state, e))).toBe(seen(clean.outputs, flushPartition(clean.state, env())));
  });
});

describe('processBatch', () => {
  it('updates the state it is given and returns that same object', () => {
    const messages = records.map((r, i) => ({ offset: 5 + i, timestamp: r.t, key: null, value: encodeRaw(r) }));
    const state = initialPartitionState('raw', 0, 5);
    const result = processBatch(state, messages, { core: createCore(defaultProcessorConfig()), decode: decodeRaw, allowedLatenessMs: 10_000 });
    expect(result.state).toBe(state);
    expect(state.nextOffset).toBe(5 + records.length);
    expect(state.core.clock).toBe(records.at(-1)!.t);
  });
});
