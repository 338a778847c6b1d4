import { describe, expect, it } from 'vitest';
import { publisherHealth } from './health.js';

describe('publisherHealth', () => {
  it.each([
    [false, null, { ok: false, reason: 'Kafka: connecting' }],
    [true, null, { ok: true }],
    [
      false,
      'Connection error: connect ECONNREFUSED 127.0.0.1:9',
      { ok: false, reason: 'Kafka: not connected: Connection error: connect ECONNREFUSED 127.0.0.1:9' },
    ],
    [true, 'Request timed out', { ok: false, reason: 'Kafka: cannot deliver: Request timed out' }],
    [false, 'topics missing: a, b:\ncreate them', { ok: false, reason: 'Kafka: not connected: topics missing: a, b: create them' }],
  ] as const)('ready %s, last failure %j → %j', (ready, failing, health) => {
    expect(publisherHealth(ready, failing)).toEqual(health);
  });
});
