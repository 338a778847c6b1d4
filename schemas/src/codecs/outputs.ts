/**
 * Codecs of the processor's output topics, Avro single-object encoded (avro.ts):
 * alerts (key: alert id, so a compacted alerts view keeps the latest transition;
 * schemas/avro/alert.avsc), rates (key: VM uuid; rate.avsc) and dead letters (key:
 * the source message's key; deadletter.avsc).
 *
 * Output messages carry no record timestamp of their own: the producer stamps them with
 * the publication time. Their event time is in the value (`t`). Stamped with event time,
 * a backlog or replay older than the topic's retention was deleted by the broker right
 * after publication: the first commit marker (broker time) rolls the segment holding the
 * first, old-stamped records, and the next retention check deletes that segment.
 */
import type { Message } from 'kafkajs';
import type { Alert, DeadLetter, Rate } from '../outputs.js';
import { SingleObjectCodec, loadSchema } from './avro.js';

/** The alerts topic's record: an Alert without its in-process `kind` tag. */
export type AlertRecord = Omit<Alert, 'kind'>;

export function toAlertRecord(a: Alert): AlertRecord {
  const { kind: _kind, ...rest } = a;
  return rest;
}

export function fromAlertRecord(r: AlertRecord): Alert {
  return { kind: 'alert', ...r };
}

export interface OutputCodecs {
  alert: SingleObjectCodec<AlertRecord>;
  rate: SingleObjectCodec<Rate>;
  deadLetter: SingleObjectCodec<DeadLetter>;
}

let codecs: OutputCodecs | undefined;

/**
 * The rate codec also reads rates written before `host` was added (0.1): that writer
 * schema is the current one without the field, and its records read host ''.
 */
function rateCodec(): SingleObjectCodec<Rate> {
  const type = loadSchema('rate');
  const codec = new SingleObjectCodec<Rate>(type);
  const v1 = type.schema() as { fields: Array<{ name: string }> };
  codec.addWriter(JSON.stringify({ ...v1, fields: v1.fields.filter((f) => f.name !== 'host') }));
  return codec;
}

interface RecordSchema {
  fields: Array<{ name: string; type: unknown; aliases?: string[] }>;
}

/** Fields the alert record gained after 0.1: older writers lack them, and they read their defaults. */
const ALERT_V1_LACKS = new Set(['runbookUrl', 'staticLabels']);
const LABELS_V1_LACKS = new Set(['image']);

/**
 * The alert codec also reads alerts written before runbookUrl, staticLabels, labels.image
 * and the rename of labels.job to labels.blockJob (0.1): that writer schema is the current
 * one without those fields and with `job`, and its records read the defaults ('', none,
 * '') and their `job` as blockJob (the field's alias).
 */
function alertCodec(): SingleObjectCodec<AlertRecord> {
  const type = loadSchema('alert');
  const codec = new SingleObjectCodec<AlertRecord>(type);
  const now = type.schema() as RecordSchema;
  const v1Labels = (t: RecordSchema): RecordSchema => ({
    ...t,
    fields: t.fields.filter((f) => !LABELS_V1_LACKS.has(f.name)).map(({ aliases: _a, ...f }) => (f.name === 'blockJob' ? { ...f, name: 'job' } : f)),
  });
  const fields = now.fields.filter((f) => !ALERT_V1_LACKS.has(f.name)).map((f) => (f.name === 'labels' ? { ...f, type: v1Labels(f.type as RecordSchema) } : f));
  codec.addWriter(JSON.stringify({ ...now, fields }));
  return codec;
}

export function outputCodecs(): OutputCodecs {
  codecs ??= {
    alert: alertCodec(),
    rate: rateCodec(),
    deadLetter: new SingleObjectCodec(loadSchema('deadletter')),
  };
  return codecs;
}

export function alertMessages(alerts: readonly Alert[]): Message[] {
  const c = outputCodecs().alert;
  return alerts.map((a) => ({ key: a.id, value: c.encode(toAlertRecord(a)) }));
}

export function rateMessages(rates: readonly Rate[]): Message[] {
  const c = outputCodecs().rate;
  return rates.map((r) => ({ key: r.vmUuid, value: c.encode(r) }));
}

export function deadLetterMessages(dl: readonly DeadLetter[]): Message[] {
  const c = outputCodecs().deadLetter;
  return dl.map((d) => ({ key: d.key, value: c.encode(d) }));
}
