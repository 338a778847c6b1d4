/**
 * QMP message shapes and their pure parser (qmp-spec.rst sections 2.2–2.5):
 *
 *   greeting  {"QMP":{"version":{"qemu":{"major","minor","micro"},"package"},"capabilities":[...]}}
 *   return    {"return": any, "id"?: any}
 *   error     {"error": {"class": str, "desc": str}, "id"?: any}   (no id on parse errors)
 *   event     {"event": str, "data"?: object, "timestamp": {"seconds","microseconds"}}
 *
 * Unknown keys are ignored (the spec's compatibility rule). A line that is not a JSON
 * object, or an object of none of these kinds, is a typed `QmpProtocolError`.
 */
import { QmpProtocolError } from './errors.js';

export interface QemuVersion {
  major: number;
  minor: number;
  micro: number;
}

export interface QmpGreeting {
  kind: 'greeting';
  version: QemuVersion;
  package: string;
  capabilities: string[];
}

export interface QmpReturn {
  kind: 'return';
  id: unknown;
  value: unknown;
}
export interface QmpErrorReply {
  kind: 'error';
  id: unknown;
  errorClass: string;
  desc: string;
}

export interface QmpEventMessage {
  kind: 'event';
  event: string;
  data: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

export type QmpMessage = QmpGreeting | QmpReturn | QmpErrorReply | QmpEventMessage;

/** The command as written to the socket. */
export interface QmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
  id: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one framed line. Throws `QmpProtocolError` (never anything else). */
export function parseMessage(line: string): QmpMessage {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (cause) {
    throw new QmpProtocolError('invalid-json', 'QMP line is not JSON', { cause, context: { head: line.slice(0, 80) } });
  }
  if (!isObject(v))
    throw new QmpProtocolError('not-an-object', `QMP line is JSON ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}, not an object`);
  return classify(v);
}

/** Classifies a decoded JSON object. Throws `QmpProtocolError` for an unknown shape. */
export function classify(v: Record<string, unknown>): QmpMessage {
  if ('return' in v) return { kind: 'return', id: v.id, value: v.return };
  if ('error' in v) {
    const e = v.error;
    if (isObject(e) && typeof e.class === 'string') {
      return { kind: 'error', id: v.id, errorClass: e.class, desc: typeof e.desc === 'string' ? e.desc : '' };
    }
  } else if (typeof v.event === 'string') {
    const ts = isObject(v.timestamp) ? v.timestamp : {};
    return {
      kind: 'event',
      event: v.event,
      data: isObject(v.data) ? v.data : {},
      timestamp: { seconds: num(ts.seconds), microseconds: num(ts.microseconds) },
    };
  } else if (isObject(v.QMP)) {
    return parseGreeting(v.QMP);
  }
  throw new QmpProtocolError('unknown-message', `QMP message of unknown kind (keys: ${Object.keys(v).slice(0, 5).join(',')})`);
}

function parseGreeting(q: Record<string, unknown>): QmpGreeting {
  const version = isObject(q.version) ? q.version : {};
  const qemu = isObject(version.qemu) ? version.qemu : {};
  const caps = Array.isArray(q.capabilities) ? q.capabilities.filter((c): c is string => typeof c === 'string') : [];
  return {
    kind: 'greeting',
    version: { major: num(qemu.major), minor: num(qemu.minor), micro: num(qemu.micro) },
    package: typeof version.package === 'string' ? version.package : '',
    capabilities: caps,
  };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** "7.2.22" from a greeting. */
export function versionString(v: QemuVersion): string {
  return `${v.major}.${v.minor}.${v.micro}`;
}

/** Whether this QEMU is at least major.minor. */
export function atLeast(v: QemuVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}
