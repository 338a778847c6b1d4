/**
 * What a failed produce request means for its records, pure.
 *
 * - `rejected`: the broker refused a record for good: sending it again gets the same
 *   answer (kafkajs marks these `retriable: false`). The record goes to the dead-letter
 *   file (spool/deadLetter.ts) and the rest flow.
 *     MESSAGE_TOO_LARGE       record (or batch) over the topic's max.message.bytes
 *     RECORD_LIST_TOO_LARGE   the batch over the broker's limit
 *     INVALID_RECORD          the broker's validation refused a record
 *     INVALID_TIMESTAMP       the record's time outside message.timestamp.difference.max.ms
 *     TOPIC_AUTHORIZATION_FAILED  no Write ACL on the topic
 * - `retry`: everything else: the broker is unreachable, a leader moved, a timeout, the
 *   SASL handshake failed. The same batch is sent again after a backoff, and nothing is
 *   dropped: those errors are about the connection or the cluster, not about a record.
 *
 * kafkajs wraps the broker's error (KafkaJSProtocolError, with `type`) in
 * KafkaJSNonRetriableError or KafkaJSNumberOfRetriesExceeded; the `cause` chain is
 * walked to find it.
 */
export const REJECTED_FOR_GOOD: ReadonlySet<string> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'TOPIC_AUTHORIZATION_FAILED',
]);

export type ProduceFailure = { kind: 'retry' } | { kind: 'rejected'; reason: string };

export function classifyProduceError(err: unknown): ProduceFailure {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && typeof e === 'object' && e !== null; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && REJECTED_FOR_GOOD.has(type)) return { kind: 'rejected', reason: type };
    e = (e as { cause?: unknown }).cause;
  }
  return { kind: 'retry' };
}
