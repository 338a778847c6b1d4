import type { RawRecord } from '#schemas/types.js';

/**
 * Where pollers put records. `publish` never blocks and never throws: the
 * implementation (a bounded spool in front of Kafka) owns back-pressure and drops.
 * Per key, records leave in the order they were published.
 */
export interface RecordSink {
  publish(key: string, record: RawRecord): void;
}
