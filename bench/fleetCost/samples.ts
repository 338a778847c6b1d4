/** What the agent carries: the values of its Samples (counted as bench/fleet.ts counts them), read back from the broker. */
import kafkajs from 'kafkajs';
import { decodeRaw } from '#schemas/codecs/raw.js';
import { valuesOf } from '../fleet.js';
import { median } from '../util.js';

/** Median values per Sample over the first `samples` Samples of `topic`. */
export async function valuesPerSample(brokers: string[], topic: string, samples: number, timeoutMs = 30_000): Promise<number> {
  const kafka = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${topic}-reader` });
  const seen: number[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => {};
    const enough = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachMessage: async ({ message }) => {
        const r = decodeRaw(message.value!);
        if (r.body.kind === 'Sample') seen.push(valuesOf(r));
        if (seen.length >= samples) done();
      },
    });
    await Promise.race([enough, new Promise((r) => setTimeout(r, timeoutMs))]);
  } finally {
    await consumer.disconnect();
  }
  return seen.length > 0 ? median(seen) : NaN;
}
