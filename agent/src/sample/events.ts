/**
 * A QMP event message → `QmpEvent`.
 *
 * Wire shape (docs/interop/qmp-spec.rst):
 *   {"event": "BLOCK_IO_ERROR", "data"?: {...}, "timestamp": {"seconds": s, "microseconds": us}}
 * qemuTimeUs = seconds·1e6 + microseconds (QEMU's wall clock when it emitted the
 * event); data is kept as JSON text, '{}' when absent.
 */
import type { QmpEvent } from '#schemas/types.js';
import { long, obj, str } from './json.js';

/** Whether a QMP message is an event (as opposed to a greeting or a reply). */
export function isEventMessage(msg: unknown): boolean {
  return str(obj(msg)?.['event']) !== undefined;
}

/** Maps an event message; undefined when `msg` is not an event. A bad timestamp gives 0. */
export function toQmpEvent(msg: unknown): QmpEvent | undefined {
  const m = obj(msg);
  const event = str(m?.['event']);
  if (!m || event === undefined) return undefined;
  const ts = obj(m['timestamp']);
  const seconds = long(ts?.['seconds']);
  const micros = long(ts?.['microseconds']);
  const qemuTimeUs = seconds === undefined ? 0 : seconds * 1_000_000 + (micros ?? 0);
  return { event, qemuTimeUs, data: JSON.stringify(m['data'] ?? {}) };
}
