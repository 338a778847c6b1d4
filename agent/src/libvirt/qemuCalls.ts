/**
 * QEMU_PROGRAM calls: QMP passthrough and raw QMP events (src/remote/qemu_protocol.x):
 *
 *   struct qemu_domain_monitor_command_args {                         // DOMAIN_MONITOR_COMMAND = 1
 *       remote_nonnull_domain dom; remote_nonnull_string cmd; unsigned int flags; };
 *   struct qemu_domain_monitor_command_ret { remote_nonnull_string result; };
 *   struct qemu_connect_domain_monitor_event_register_args {          // CONNECT_DOMAIN_MONITOR_EVENT_REGISTER = 4
 *       remote_domain dom; remote_string event; unsigned int flags; };
 *   struct qemu_connect_domain_monitor_event_register_ret { int callbackID; };
 *   struct qemu_connect_domain_monitor_event_deregister_args { int callbackID; };  // ..._DEREGISTER = 5
 *   struct qemu_domain_monitor_event_msg {                            // DOMAIN_MONITOR_EVENT = 6 (a message)
 *       int callbackID; remote_nonnull_domain dom; remote_nonnull_string event;
 *       hyper seconds; unsigned int micros; remote_string details; };
 *
 * `cmd` is a whole QMP command as JSON ({"execute":...}); `result` is QEMU's whole reply
 * JSON ({"return":...,"id":...}); `details` is the event's "data" member as JSON, if any.
 */
import { QEMU_PROGRAM, QEMU_PROTOCOL_VERSION, QemuProc, REMOTE_STRING_MAX } from './constants.js';
import { readDomain, readString, writeDomain, type DomainRef } from './domainRef.js';
import { procedure } from './procedure.js';
import { XdrReader } from './xdr.js';

export const monitorCommand = procedure<{ dom: DomainRef; cmd: string; flags: number }, string>(
  'QEMU_DOMAIN_MONITOR_COMMAND',
  QEMU_PROGRAM,
  QEMU_PROTOCOL_VERSION,
  QemuProc.DOMAIN_MONITOR_COMMAND,
  (w, a) => {
    writeDomain(w, a.dom);
    w.string(a.cmd, REMOTE_STRING_MAX).uint(a.flags);
  },
  readString,
);

export interface MonitorEventFilter {
  /** null = every domain. */
  dom: DomainRef | null;
  /** null = every event; otherwise a name (or a regex with QemuMonitorEventFlag.REGEX). */
  event: string | null;
  flags: number;
}

export const registerMonitorEvent = procedure<MonitorEventFilter, number>(
  'QEMU_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER',
  QEMU_PROGRAM,
  QEMU_PROTOCOL_VERSION,
  QemuProc.CONNECT_DOMAIN_MONITOR_EVENT_REGISTER,
  (w, a) => {
    w.optional(a.dom, writeDomain)
      .optional(a.event, (w2, s) => w2.string(s, REMOTE_STRING_MAX))
      .uint(a.flags);
  },
  (r) => r.int(),
);

export const deregisterMonitorEvent = procedure<number, void>(
  'QEMU_CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER',
  QEMU_PROGRAM,
  QEMU_PROTOCOL_VERSION,
  QemuProc.CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER,
  (w, id) => w.int(id),
  () => {},
);

export interface QemuMonitorEvent {
  callbackId: number;
  domain: DomainRef;
  /** QMP event name, e.g. "STOP". */
  event: string;
  seconds: bigint;
  micros: number;
  /** The event's `data` as JSON text, or null when it had none. */
  details: string | null;
}

export function decodeMonitorEvent(payload: Buffer): QemuMonitorEvent {
  const r = new XdrReader(payload);
  const ev: QemuMonitorEvent = {
    callbackId: r.int(),
    domain: readDomain(r),
    event: readString(r),
    seconds: r.hyper(),
    micros: r.uint(),
    details: r.optional(readString),
  };
  r.expectEnd();
  return ev;
}
