/** Alert (core output) ↔ the Avro record of the alerts topic (schemas/avro/alert.avsc). */
import type { Alert } from '#processor/core/outputs.js';

export type AlertRecord = Omit<Alert, 'kind'>;

export function toAlertRecord(a: Alert): AlertRecord {
  const { kind: _kind, ...rest } = a;
  return rest;
}

export function fromAlertRecord(r: AlertRecord): Alert {
  return { kind: 'alert', ...r };
}
