import { describe, expect, it } from 'vitest';
import { describeError } from './errors.js';

describe('describeError', () => {
  it('chains causes', () => {
    expect(describeError(new Error('publish failed', { cause: new Error('ECONNREFUSED 127.0.0.1:9') }))).toBe('publish failed: ECONNREFUSED 127.0.0.1:9');
    expect(describeError('plain')).toBe('plain');
  });

  it('says a message once when a wrapper repeats its cause (kafkajs retries exceeded)', () => {
    const cause = new Error('Connection error: SASL SCRAM authentication failed');
    expect(describeError(new Error('Connection error: SASL SCRAM authentication failed', { cause }))).toBe(
      'Connection error: SASL SCRAM authentication failed',
    );
    expect(describeError(new Error('Connection error', { cause }))).toBe('Connection error: SASL SCRAM authentication failed');
  });
});
