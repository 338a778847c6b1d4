import { describe, expect, it } from 'vitest';
import { alertRecord } from '#test/support/alerts.js';
import { alertMessages, deadLetterMessages, fromAlertRecord, outputCodecs, rateMessages } from './outputs.js';

describe('output messages', () => {
  // Event times can be older than the topic's retention (a backlog, a replay): as record
  // timestamps they made the broker delete freshly published outputs.
  it('carry no record timestamp: the producer stamps the publication time; the event time stays in the value', () => {
    const a = fromAlertRecord(alertRecord({ t: Date.UTC(2020, 0, 1) }));
    const rate = {
      kind: 'rate' as const,
      t: Date.UTC(2020, 0, 1),
      vm: 'vm1',
      vmUuid: 'u-1',
      host: 'h1',
      series: 'block.vda.wr.bytes',
      value: 1,
      unit: 'bytes/s',
    };
    const dl = { topic: 'raw', partition: 0, offset: 1, timestamp: Date.UTC(2020, 0, 1), key: null, value: null, code: 'EMPTY_VALUE', reason: 'x' };
    const msgs = [...alertMessages([a]), ...rateMessages([rate]), ...deadLetterMessages([dl])];
    expect(msgs.map((m) => m.timestamp)).toEqual([undefined, undefined, undefined]);
    expect(outputCodecs().alert.decode(alertMessages([a])[0]!.value as Buffer).t).toBe(a.t);
    expect(outputCodecs().rate.decode(rateMessages([rate])[0]!.value as Buffer).t).toBe(rate.t);
  });
});
