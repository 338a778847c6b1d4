import { describe, expect, it } from 'vitest';
import { LambdaEventError, parseKafkaEvent, toKafkaEvent } from './event.js';

describe('Lambda Kafka event', () => {
  it('round-trips batches through the event shape, in offset order', () => {
    const batches = [
      {
        topic: 'raw',
        partition: 1,
        messages: [
          { offset: 7, timestamp: 2, key: Buffer.from('vm-a'), value: Buffer.from([0xc3, 1, 2]) },
          { offset: 5, timestamp: 1, key: null, value: Buffer.from([9]) },
        ],
      },
    ];
    const back = parseKafkaEvent(JSON.parse(JSON.stringify(toKafkaEvent(batches))));
    expect(back).toHaveLength(1);
    expect(back[0]!.messages.map((m) => m.offset)).toEqual([5, 7]);
    expect(back[0]!.messages[1]!.key!.toString()).toBe('vm-a');
    expect([...back[0]!.messages[1]!.value!]).toEqual([0xc3, 1, 2]);
  });

  it('names the bad field of a malformed event', () => {
    expect(() => parseKafkaEvent({ records: { 'raw-0': [{ topic: 'raw', partition: -1, offset: 0, timestamp: 0 }] } })).toThrow(LambdaEventError);
    expect(() => parseKafkaEvent({ nope: 1 })).toThrow(/records/);
  });
});
