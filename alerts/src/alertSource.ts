/**
 * The alerts topic as a stream of decoded transitions: the shared topic tailer
 * (common/src/kafka/tailer.ts: read_committed, caught-up detection, a random group that
 * commits nothing) with the alert decoding.
 *
 * Wire shape: schemas/avro/alert.avsc (qmpipe.processor.Alert), Avro single-object
 * encoding, key = alert id, written inside the processor's transactions. Records that do
 * not decode are logged (the first few) and counted, never fatal.
 */
import type { KafkaMessage } from 'kafkajs';
import { QmpipeError, describeError } from '#common/errors.js';
import type { KafkaConnection } from '#common/kafka.js';
import { startTailer } from '#common/kafka/tailer.js';
import type { Logger } from '#common/log.js';
import type { AlertRecord } from '#schemas/codecs/outputs.js';
import { outputCodecs } from '#schemas/codecs/outputs.js';

export interface AlertSourceOptions {
  kafka: KafkaConnection;
  topic: string;
  from: 'beginning' | 'now';
  /** `until-end`: transitions past the start-time end offsets are not delivered. */
  mode: 'until-end' | 'follow';
  log: Logger;
}

/** Called by the source; never concurrently (one partition's batch at a time). */
export interface AlertHandlers {
  /** Decoded transitions of one batch, in partition order. */
  onAlerts(alerts: AlertRecord[]): void;
  /** Once: every partition has been read to its end offset at start. */
  onCaughtUp(): void;
}

export interface AlertSourceStats {
  decoded: number;
  undecodable: number;
}

export interface AlertSource {
  readonly stats: AlertSourceStats;
  /** Rejects with a TailerError if the consumer stops on its own (a non-retriable crash). */
  readonly crashed: Promise<never>;
  /** Disconnects; in-flight batch handling finishes first. Idempotent. */
  stop(): Promise<void>;
}

const LOGGED_DECODE_FAILURES = 10;

export async function startAlertSource(opts: AlertSourceOptions, handlers: AlertHandlers): Promise<AlertSource> {
  const { topic, log } = opts;
  const stats: AlertSourceStats = { decoded: 0, undecodable: 0 };
  const codec = outputCodecs().alert;
  const decode = (partition: number, m: KafkaMessage): AlertRecord | undefined => {
    try {
      if (!m.value) throw new QmpipeError('AVRO_TRUNCATED', 'tombstone (no value)');
      const a = codec.decode(m.value);
      stats.decoded++;
      return a;
    } catch (err) {
      stats.undecodable++;
      if (stats.undecodable <= LOGGED_DECODE_FAILURES) {
        log.warn('skipping an alert record that does not decode', {
          topic,
          partition,
          offset: m.offset,
          error: describeError(err),
          ...(stats.undecodable === LOGGED_DECODE_FAILURES ? { note: 'further failures are only counted' } : {}),
        });
      }
      return undefined;
    }
  };
  const tailer = await startTailer(
    { kafka: opts.kafka, topics: [topic], from: opts.from, mode: opts.mode, group: 'qmpipe-alerts', missingHint: 'the processor creates it on start', log },
    {
      onRecords(_topic, partition, records) {
        const out = records.map((m) => decode(partition, m)).filter((a): a is AlertRecord => a !== undefined);
        if (out.length > 0) handlers.onAlerts(out);
      },
      onCaughtUp: () => handlers.onCaughtUp(),
    },
  );
  return { stats, crashed: tailer.crashed, stop: () => tailer.stop() };
}
