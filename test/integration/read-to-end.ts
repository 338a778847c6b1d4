/**
 * Reads a topic (read_committed, fresh group) from its beginning to the end offsets it
 * had when called, then on until nothing has arrived for `quietMs`, so a record published
 * after the ones a test expects (a duplicate) is read too. Offsets also count
 * transaction markers and aborted records, so a partition's position comes from kafkajs's
 * end-of-batch events, which also report batches holding nothing else.
 */
import type { KafkaMessage } from 'kafkajs';
import { kafkaClient, randomName } from './helpers/index.js';

export async function readToEnd(topic: string, opts: { quietMs?: number; timeoutMs?: number } = {}): Promise<Map<number, KafkaMessage[]>> {
  const quietMs = opts.quietMs ?? 1_500;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const admin = kafkaClient('it-reader-admin').admin();
  await admin.connect();
  const ends = new Map<number, number>();
  try {
    for (const o of await admin.fetchTopicOffsets(topic)) if (Number(o.high) > Number(o.low)) ends.set(o.partition, Number(o.high));
  } finally {
    await admin.disconnect();
  }
  const out = new Map<number, KafkaMessage[]>();
  const position = new Map<number, number>();
  let lastArrival = Date.now();
  const consumer = kafkaClient('it-reader').consumer({ groupId: randomName('reader'), readUncommitted: false });
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    position.set(e.payload.partition, Number(e.payload.lastOffset) + 1);
  });
  const atEnd = () => [...ends].every(([p, end]) => (position.get(p) ?? 0) >= end);
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        lastArrival = Date.now();
        (out.get(partition) ?? out.set(partition, []).get(partition)!).push(message);
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!atEnd() || Date.now() - lastArrival < quietMs) {
      if (Date.now() > deadline) {
        const where = [...ends].map(([p, end]) => `${p}: ${position.get(p) ?? 0}/${end}`).join(', ');
        throw new Error(`readToEnd(${topic}): not at the end after ${timeoutMs} ms (${where})`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return out;
}
