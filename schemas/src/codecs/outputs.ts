/**
 * Encodes the runtime's outputs as Kafka messages, Avro single-object encoded:
 * alerts (key: alert id, so a compacted alerts view keeps the latest transition),
 * rates (key: VM uuid) and dead letters (key: the source message's key).
 */
import type { Message } from 'kafkajs';
import { SingleObjectCodec, loadSchema } from './avro.js';
import type { Alert, Rate } from '#processor/core/outputs.js';
import type { DeadLetter } from '#processor/partition/partitionStep.js';
import { toAlertRecord, type AlertRecord } from './alertRecord.js';

export interface OutputCodecs {
  alert: SingleObjectCodec<AlertRecord>;
  rate: SingleObjectCodec<Rate & { vmUuid: string }>;
  deadLetter: SingleObjectCodec<DeadLetter>;
}

let codecs: OutputCodecs | undefined;

export function outputCodecs(): OutputCodecs {
  codecs ??= {
    alert: new SingleObjectCodec(loadSchema('alert')),
    rate: new SingleObjectCodec(loadSchema('rate')),
    deadLetter: new SingleObjectCodec(loadSchema('deadletter')),
  };
  return codecs;
}

export function alertMessages(alerts: readonly Alert[]): Message[] {
  const c = outputCodecs().alert;
  return alerts.map((a) => ({ key: a.id, value: c.encode(toAlertRecord(a)), timestamp: String(a.t) }));
}

export function rateMessages(rates: readonly Rate[], uuidOf: (vm: string) => string): Message[] {
  const c = outputCodecs().rate;
  return rates.map((r) => ({ key: uuidOf(r.vm), value: c.encode({ ...r, vmUuid: uuidOf(r.vm) }), timestamp: String(r.t) }));
}

export function deadLetterMessages(dl: readonly DeadLetter[]): Message[] {
  const c = outputCodecs().deadLetter;
  return dl.map((d) => ({ key: d.key, value: c.encode(d) }));
}
