/**
 * The domain handle every domain call carries (src/remote/remote_protocol.x):
 *
 *   typedef opaque remote_uuid[VIR_UUID_BUFLEN];
 *   struct remote_nonnull_domain {
 *       remote_nonnull_string name;
 *       remote_uuid uuid;
 *       int id;                 // -1 for an inactive domain
 *   };
 *   typedef remote_nonnull_domain *remote_domain;
 *
 * The daemon looks a domain up by its UUID; name and id travel along as given.
 */
import { REMOTE_STRING_MAX, VIR_UUID_BUFLEN } from './constants.js';
import { LibvirtProtocolError } from './errors.js';
import type { XdrReader, XdrWriter } from './xdr.js';

export interface DomainRef {
  name: string;
  /** Canonical lower-case 8-4-4-4-12 form. */
  uuid: string;
  id: number;
}

/** Smallest encoding of a remote_nonnull_domain: empty name (4) + uuid (16) + id (4). */
export const DOMAIN_MIN_BYTES = 4 + VIR_UUID_BUFLEN + 4;

export function uuidToString(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function uuidToBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new LibvirtProtocolError('BAD_VALUE', `not a UUID: ${JSON.stringify(uuid)}`);
  return Buffer.from(hex, 'hex');
}

export function readDomain(r: XdrReader): DomainRef {
  const name = r.string(REMOTE_STRING_MAX);
  const uuid = uuidToString(r.fixedOpaque(VIR_UUID_BUFLEN));
  return { name, uuid, id: r.int() };
}

export function writeDomain(w: XdrWriter, d: DomainRef): void {
  w.string(d.name, REMOTE_STRING_MAX).fixedOpaque(uuidToBytes(d.uuid), VIR_UUID_BUFLEN).int(d.id);
}

export const readString = (r: XdrReader): string => r.string(REMOTE_STRING_MAX);
