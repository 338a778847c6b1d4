/**
 * virTypedParameter on the wire and the bulk stats records built from it
 * (src/remote/remote_protocol.x):
 *
 *   union remote_typed_param_value switch (int type) {
 *    case VIR_TYPED_PARAM_INT:     int i;
 *    case VIR_TYPED_PARAM_UINT:    unsigned int ui;
 *    case VIR_TYPED_PARAM_LLONG:   hyper l;
 *    case VIR_TYPED_PARAM_ULLONG:  unsigned hyper ul;
 *    case VIR_TYPED_PARAM_DOUBLE:  double d;
 *    case VIR_TYPED_PARAM_BOOLEAN: int b;
 *    case VIR_TYPED_PARAM_STRING:  remote_nonnull_string s;
 *   };
 *   struct remote_typed_param { remote_nonnull_string field; remote_typed_param_value value; };
 *   struct remote_domain_stats_record {
 *       remote_nonnull_domain dom;
 *       remote_typed_param params<REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX>;
 *   };
 * with VIR_TYPED_PARAM_INT = 1 ... STRING = 7 (include/libvirt/libvirt-common.h).
 * 64-bit values are numbers when exact (up to 2^53) and bigints past that, so counters
 * compare exactly with `virsh domstats` either way.
 */
import { REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX, REMOTE_STRING_MAX } from './constants.js';
import { DOMAIN_MIN_BYTES, readDomain, writeDomain, type DomainRef } from './domainRef.js';
import { LibvirtProtocolError } from './errors.js';
import type { XdrReader, XdrWriter } from './xdr.js';

export type TypedParamValue =
  | { type: 'int'; value: number }
  | { type: 'uint'; value: number }
  | { type: 'llong'; value: number | bigint }
  | { type: 'ullong'; value: number | bigint }
  | { type: 'double'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'string'; value: string };

export interface TypedParam {
  field: string;
  value: TypedParamValue;
}

/** Smallest remote_typed_param: empty field (4) + discriminant (4) + an int (4). */
export const TYPED_PARAM_MIN_BYTES = 12;

export function readTypedParam(r: XdrReader): TypedParam {
  const field = r.string(REMOTE_STRING_MAX);
  const type = r.int();
  switch (type) {
    case 1:
      return { field, value: { type: 'int', value: r.int() } };
    case 2:
      return { field, value: { type: 'uint', value: r.uint() } };
    case 3:
      return { field, value: { type: 'llong', value: r.hyperValue(false) } };
    case 4:
      return { field, value: { type: 'ullong', value: r.hyperValue(true) } };
    case 5:
      return { field, value: { type: 'double', value: r.double() } };
    case 6:
      return { field, value: { type: 'boolean', value: r.int() !== 0 } };
    case 7:
      return { field, value: { type: 'string', value: r.string(REMOTE_STRING_MAX) } };
    default:
      throw new LibvirtProtocolError('BAD_VALUE', `typed parameter ${JSON.stringify(field)}: unknown type ${type}`);
  }
}

export function writeTypedParam(w: XdrWriter, p: TypedParam): void {
  w.string(p.field, REMOTE_STRING_MAX);
  const v = p.value;
  switch (v.type) {
    case 'int':
      w.int(1).int(v.value);
      break;
    case 'uint':
      w.int(2).uint(v.value);
      break;
    case 'llong':
      w.int(3).hyper(BigInt(v.value));
      break;
    case 'ullong':
      w.int(4).uhyper(BigInt(v.value));
      break;
    case 'double':
      w.int(5).double(v.value);
      break;
    case 'boolean':
      w.int(6).int(v.value ? 1 : 0);
      break;
    case 'string':
      w.int(7).string(v.value, REMOTE_STRING_MAX);
      break;
  }
}

export interface DomainStatsRecord {
  domain: DomainRef;
  /** In the daemon's order; field names such as `block.0.wr.bytes` are unique per record. */
  params: TypedParam[];
}

export const STATS_RECORD_MIN_BYTES = DOMAIN_MIN_BYTES + 4;

export function readStatsRecord(r: XdrReader): DomainStatsRecord {
  const domain = readDomain(r);
  return { domain, params: r.array(REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX, TYPED_PARAM_MIN_BYTES, readTypedParam) };
}

export function writeStatsRecord(w: XdrWriter, rec: DomainStatsRecord): void {
  writeDomain(w, rec.domain);
  w.array(rec.params, REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX, writeTypedParam);
}

/** A record's params by field name. */
export function paramMap(rec: DomainStatsRecord): Map<string, TypedParamValue> {
  return new Map(rec.params.map((p) => [p.field, p.value]));
}

/** The value as text, in the form `virsh domstats` prints it (for comparisons and logs). */
export function formatParamValue(v: TypedParamValue): string {
  switch (v.type) {
    case 'boolean':
      return v.value ? 'yes' : 'no';
    case 'double':
      return v.value.toFixed(6);
    default:
      return String(v.value);
  }
}
