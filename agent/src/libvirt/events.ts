/**
 * Domain event registration and the event messages (type VIR_NET_MESSAGE, serial 0) this
 * client decodes. Wire shapes from src/remote/remote_protocol.x:
 *
 *   struct remote_connect_domain_event_callback_register_any_args { int eventID; remote_domain dom; };  // = 316
 *   struct remote_connect_domain_event_callback_register_any_ret { int callbackID; };
 *   struct remote_connect_domain_event_callback_deregister_any_args { int callbackID; };                // = 317
 *
 *   struct remote_domain_event_lifecycle_msg { remote_nonnull_domain dom; int event; int detail; };
 *   struct remote_domain_event_callback_lifecycle_msg {                        // CALLBACK_LIFECYCLE = 318
 *       int callbackID; remote_domain_event_lifecycle_msg msg; };
 *   struct remote_domain_event_io_error_reason_msg {
 *       remote_nonnull_domain dom; remote_nonnull_string srcPath; remote_nonnull_string devAlias;
 *       int action; remote_nonnull_string reason; };
 *   struct remote_domain_event_callback_io_error_reason_msg {                  // CALLBACK_IO_ERROR_REASON = 324
 *       int callbackID; remote_domain_event_io_error_reason_msg msg; };
 *   struct remote_domain_event_device_removed_msg { remote_nonnull_domain dom; remote_nonnull_string devAlias; };
 *   struct remote_domain_event_callback_device_removed_msg {                   // CALLBACK_DEVICE_REMOVED = 333
 *       int callbackID; remote_domain_event_device_removed_msg msg; };
 *   struct remote_domain_event_block_job_2_msg {                               // EVENT_BLOCK_JOB_2 = 339
 *       int callbackID; remote_nonnull_domain dom; remote_nonnull_string dst; int type; int status; };
 *   struct remote_domain_event_block_threshold_msg {                           // EVENT_BLOCK_THRESHOLD = 385
 *       int callbackID; remote_nonnull_domain dom; remote_nonnull_string dev; remote_string path;
 *       unsigned hyper threshold; unsigned hyper excess; };
 */
import { DomainEventId, REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, RemoteProc, type DomainEventIdValue } from './constants.js';
import { readDomain, readString, writeDomain, type DomainRef } from './domainRef.js';
import { procedure } from './procedure.js';
import { XdrReader } from './xdr.js';

export const registerDomainEvent = procedure<{ eventId: DomainEventIdValue; dom: DomainRef | null }, number>(
  'CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY',
  REMOTE_PROGRAM,
  REMOTE_PROTOCOL_VERSION,
  RemoteProc.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
  (w, a) => w.int(a.eventId).optional(a.dom, writeDomain),
  (r) => r.int(),
);

export const deregisterDomainEvent = procedure<number, void>(
  'CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY',
  REMOTE_PROGRAM,
  REMOTE_PROTOCOL_VERSION,
  RemoteProc.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY,
  (w, id) => w.int(id),
  () => {},
);

export type DomainEvent =
  | { kind: 'lifecycle'; callbackId: number; domain: DomainRef; event: number; detail: number }
  | { kind: 'ioErrorReason'; callbackId: number; domain: DomainRef; srcPath: string; devAlias: string; action: number; reason: string }
  | { kind: 'deviceRemoved'; callbackId: number; domain: DomainRef; devAlias: string }
  | { kind: 'blockJob2'; callbackId: number; domain: DomainRef; dst: string; type: number; status: number }
  | { kind: 'blockThreshold'; callbackId: number; domain: DomainRef; dev: string; path: string | null; threshold: bigint; excess: bigint };

/** The event id each kind is registered under. */
export const eventIdOfKind: Record<DomainEvent['kind'], DomainEventIdValue> = {
  lifecycle: DomainEventId.LIFECYCLE,
  ioErrorReason: DomainEventId.IO_ERROR_REASON,
  deviceRemoved: DomainEventId.DEVICE_REMOVED,
  blockJob2: DomainEventId.BLOCK_JOB_2,
  blockThreshold: DomainEventId.BLOCK_THRESHOLD,
};

type Reader = (r: XdrReader, callbackId: number) => DomainEvent;

const readers: ReadonlyMap<number, Reader> = new Map<number, Reader>([
  [RemoteProc.DOMAIN_EVENT_CALLBACK_LIFECYCLE, (r, callbackId) => ({ kind: 'lifecycle', callbackId, domain: readDomain(r), event: r.int(), detail: r.int() })],
  [
    RemoteProc.DOMAIN_EVENT_CALLBACK_IO_ERROR_REASON,
    (r, callbackId) => ({
      kind: 'ioErrorReason',
      callbackId,
      domain: readDomain(r),
      srcPath: readString(r),
      devAlias: readString(r),
      action: r.int(),
      reason: readString(r),
    }),
  ],
  [RemoteProc.DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED, (r, callbackId) => ({ kind: 'deviceRemoved', callbackId, domain: readDomain(r), devAlias: readString(r) })],
  [
    RemoteProc.DOMAIN_EVENT_BLOCK_JOB_2,
    (r, callbackId) => ({ kind: 'blockJob2', callbackId, domain: readDomain(r), dst: readString(r), type: r.int(), status: r.int() }),
  ],
  [
    RemoteProc.DOMAIN_EVENT_BLOCK_THRESHOLD,
    (r, callbackId) => ({
      kind: 'blockThreshold',
      callbackId,
      domain: readDomain(r),
      dev: readString(r),
      path: r.optional(readString),
      threshold: r.uhyper(),
      excess: r.uhyper(),
    }),
  ],
]);

/** Whether this client decodes REMOTE_PROGRAM event procedure `proc`. */
export function isKnownDomainEvent(proc: number): boolean {
  return readers.has(proc);
}

/** Decodes one domain event message; every known msg starts with `int callbackID`. */
export function decodeDomainEvent(proc: number, payload: Buffer): DomainEvent | null {
  const read = readers.get(proc);
  if (!read) return null;
  const r = new XdrReader(payload);
  const ev = read(r, r.int());
  r.expectEnd();
  return ev;
}
