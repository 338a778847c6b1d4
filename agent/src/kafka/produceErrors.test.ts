import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classifyProduceError } from './produceErrors.js';

const { KafkaJSProtocolError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSConnectionError, KafkaJSSASLAuthenticationError } = kafkajs;
// kafkajs' own error table entries (protocol/error.js), as the broker's codes become errors.
const protocol = (type: string, code: number, retriable: boolean) =>
  new (KafkaJSProtocolError as unknown as new (e: object) => Error)({ type, code, retriable, message: `${type} from the broker` });

describe('classifyProduceError', () => {
  it('a record refused for good, as kafkajs hands it out (wrapped by its retrier)', () => {
    const tooLarge = protocol('MESSAGE_TOO_LARGE', 10, false);
    const wrapped = new (KafkaJSNonRetriableError as unknown as new (e: Error, o: object) => Error)(tooLarge, { cause: tooLarge });
    expect(classifyProduceError(wrapped)).toEqual({ kind: 'rejected', reason: 'MESSAGE_TOO_LARGE' });
    for (const [type, code] of [
      ['INVALID_RECORD', 87],
      ['RECORD_LIST_TOO_LARGE', 18],
      ['TOPIC_AUTHORIZATION_FAILED', 29],
      ['INVALID_TIMESTAMP', 32],
    ] as const)
      expect(classifyProduceError(protocol(type, code, false))).toEqual({ kind: 'rejected', reason: type });
  });

  it('everything about the connection or the cluster is retried, never dead-lettered', () => {
    const leader = protocol('NOT_LEADER_FOR_PARTITION', 6, true);
    const exceeded = new (KafkaJSNumberOfRetriesExceeded as unknown as new (e: Error, o: object) => Error)(leader, {
      cause: leader,
      retryCount: 5,
      retryTime: 1,
    });
    expect(classifyProduceError(exceeded)).toEqual({ kind: 'retry' });
    expect(classifyProduceError(new (KafkaJSConnectionError as unknown as new (m: string) => Error)('Connection error: ECONNREFUSED'))).toEqual({
      kind: 'retry',
    });
    expect(classifyProduceError(new (KafkaJSSASLAuthenticationError as unknown as new (m: string) => Error)('SASL failed'))).toEqual({ kind: 'retry' });
    expect(classifyProduceError(protocol('CLUSTER_AUTHORIZATION_FAILED', 31, false))).toEqual({ kind: 'retry' });
    expect(classifyProduceError(new Error('anything'))).toEqual({ kind: 'retry' });
    expect(classifyProduceError('a string')).toEqual({ kind: 'retry' });
  });
});
