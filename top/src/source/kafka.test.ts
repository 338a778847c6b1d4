/**
 * The `--kafka` source's `--once --timeout` (with a double of the topic tailer at its
 * interface): it gives up starting when the time is up, and a tailer that started but did not
 * catch up in time ends the wait with what it read, or with an error when that is nothing.
 */
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { startTailer, Tailer, TailHandlers, TailerOptions } from '#common/kafka/tailer.js';
import { rateMessages } from '#schemas/codecs/outputs.js';
import { runFixture } from '#test/support/fixtureRun.js';
import { parseKafkaFlags, startKafkaSource } from './kafka.js';

const flags = parseKafkaFlags({ brokers: '127.0.0.1:9' }, {});
const idle: Tailer = { crashed: new Promise<never>(() => {}), stop: async () => {} };

/** A tailer that starts (after handing over `records` of the rates topic) but never catches up. */
function startedNeverCaughtUp(records: KafkaMessage[]): typeof startTailer {
  return async (_o: TailerOptions, h: TailHandlers) => {
    if (records.length > 0) h.onRecords(flags.ratesTopic, 0, records);
    return idle;
  };
}

describe('top --kafka --once --timeout', () => {
  it('gives up starting when the time is up: the tailer is told, and the start rejects', async () => {
    let signal: AbortSignal | undefined;
    const neverStarts: typeof startTailer = (o) => {
      signal = o.signal;
      return new Promise((_, reject) => o.signal?.addEventListener('abort', () => reject(new Error('gave up'))));
    };
    await expect(startKafkaSource(flags, { follow: false, timeoutMs: 50 }, neverStarts)).rejects.toThrow('gave up');
    expect(signal?.aborted).toBe(true);
  });

  it('an empty read that does not catch up in time ends with an error', async () => {
    const src = await startKafkaSource(flags, { follow: false, timeoutMs: 50 }, startedNeverCaughtUp([]));
    await expect(src.caughtUp).rejects.toThrow('nothing read from kafka 127.0.0.1:9 within 0.05 s');
    await src.stop();
  });

  it('what was read by then is shown', async () => {
    const rates = runFixture().rates.slice(0, 50);
    const records = rateMessages(rates).map((m, i) => ({ ...m, offset: String(i) }) as unknown as KafkaMessage);
    const src = await startKafkaSource(flags, { follow: false, timeoutMs: 50 }, startedNeverCaughtUp(records));
    await src.caughtUp;
    expect(Object.values(src.state.vms).map((v) => v.vm)).toEqual(['cap-thin']);
    await src.stop();
  });

  it('without a timeout (the live view) the tailer gets no signal', async () => {
    let got: TailerOptions | undefined;
    const src = await startKafkaSource(flags, { follow: true }, async (o) => {
      got = o;
      return idle;
    });
    expect(got?.signal).toBeUndefined();
    await src.stop();
  });
});
