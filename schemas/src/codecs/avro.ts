/**
 * Avro single-object encoding (Avro spec, "Single object encoding"):
 *
 *   C3 01 | 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema's
 *   Parsing Canonical Form | Avro binary body
 *
 * No registry server is needed: writers publish their schemas to a compacted topic
 * keyed by fingerprint (see `schemaTopicMessage`), and readers resolve any writer
 * version against their reader schema. Decode failures are typed `SchemaError`s so
 * callers can route poison records to a dead-letter topic.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type avro from 'avsc';
import { QmpipeError } from '#common/errors.js';
import { packageRoot } from '#common/paths.js';
import { BlockCountError, boundedType } from './bounds.js';

export type AvroType = avro.Type;

export type SchemaErrorCode = 'AVRO_BAD_MARKER' | 'AVRO_TRUNCATED' | 'AVRO_UNKNOWN_FINGERPRINT' | 'AVRO_CORRUPT' | 'AVRO_BAD_COUNT' | 'AVRO_ENCODE';

export class SchemaError extends QmpipeError {
  constructor(code: SchemaErrorCode, message: string, opts: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(code, message, { retriable: false, ...opts });
  }
}

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;
const table: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
  return fp & MASK;
});

/** CRC-64-AVRO (Rabin) fingerprint of some bytes. */
export function rabin64(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const b of bytes) fp = (fp >> 8n) ^ table[Number((fp ^ BigInt(b)) & 0xffn)]!;
  return fp & MASK;
}

/** Parsing Canonical Form of a type, as avsc renders it. */
export function canonicalForm(type: AvroType): string {
  return JSON.stringify(type.schema());
}

/** The 8-byte little-endian fingerprint of a type's canonical form. */
export function fingerprintOf(type: AvroType): Buffer {
  const fp = rabin64(Buffer.from(canonicalForm(type), 'utf8'));
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fp);
  return out;
}

export const MAGIC = Buffer.from([0xc3, 0x01]);
export const HEADER_LENGTH = 10;

const boundedTypes = new WeakSet<AvroType>();

/** The same type with bounded block counts (bounds.ts); types from `loadSchema` already are. */
function bounded(type: AvroType): AvroType {
  if (boundedTypes.has(type)) return type;
  const t = boundedType(type.schema({ exportAttrs: true }));
  boundedTypes.add(t);
  return t;
}

/** Loads schemas/avro/<name>.avsc, with bounded block counts. */
export function loadSchema(name: string): AvroType {
  const text = readFileSync(join(packageRoot(), 'schemas', 'avro', `${name}.avsc`), 'utf8');
  const type = boundedType(JSON.parse(text) as avro.Schema);
  boundedTypes.add(type);
  return type;
}

/**
 * A set of known writer schemas by fingerprint, and one reader schema. `decode`
 * resolves writer to reader when they differ (resolvers are cached). Array and map
 * block counts are checked against the bytes left before anything is allocated
 * (bounds.ts): a count no record could hold is AVRO_BAD_COUNT.
 */
export class SingleObjectCodec<T> {
  readonly fingerprint: Buffer;
  readonly fingerprintHex: string;
  private readonly writers = new Map<string, AvroType>();
  private readonly resolvers = new Map<string, avro.Resolver>();
  private scratch: Buffer;

  readonly type: AvroType;

  constructor(type: AvroType) {
    this.type = bounded(type);
    this.fingerprint = fingerprintOf(type);
    this.fingerprintHex = this.fingerprint.toString('hex');
    this.writers.set(this.fingerprintHex, this.type);
    this.scratch = this.newScratch(16 << 10);
  }

  /** Registers another writer schema (e.g. read from the schemas topic). Returns its fingerprint. */
  addWriter(schema: AvroType | string): string {
    const t = typeof schema === 'string' ? boundedType(JSON.parse(schema) as avro.Schema) : bounded(schema);
    const fp = fingerprintOf(t).toString('hex');
    if (!this.writers.has(fp)) this.writers.set(fp, t); // fields only the writer has are skipped with its (bounded) types
    return fp;
  }

  hasWriter(fingerprintHex: string): boolean {
    return this.writers.has(fingerprintHex);
  }

  /**
   * One allocation per record: the body is written straight after the constant header
   * in a scratch buffer (grown when a record does not fit), then copied out once.
   */
  encode(value: T): Buffer {
    let end: number;
    try {
      end = this.type.encode(value, this.scratch, HEADER_LENGTH);
      if (end < 0) {
        // avsc returns -(bytes missing) when the buffer is too small.
        this.scratch = this.newScratch(Math.max(this.scratch.length * 2, this.scratch.length - end));
        end = this.type.encode(value, this.scratch, HEADER_LENGTH);
      }
    } catch (cause) {
      throw new SchemaError('AVRO_ENCODE', `cannot encode ${this.type.name ?? 'value'}`, { cause });
    }
    return Buffer.from(this.scratch.subarray(0, end));
  }

  private newScratch(size: number): Buffer {
    const b = Buffer.allocUnsafeSlow(size);
    MAGIC.copy(b, 0);
    this.fingerprint.copy(b, 2);
    return b;
  }

  decode(buf: Buffer): T {
    if (buf.length < HEADER_LENGTH) throw new SchemaError('AVRO_TRUNCATED', `record of ${buf.length} bytes is shorter than the single-object header`);
    if (buf[0] !== 0xc3 || buf[1] !== 0x01) throw new SchemaError('AVRO_BAD_MARKER', 'record does not start with the Avro single-object marker C3 01');
    // Fast path (the hot one): written with the reader's own schema. Compares the 8
    // fingerprint bytes in place instead of building a hex string per record.
    if (buf.compare(this.fingerprint, 0, 8, 2, HEADER_LENGTH) === 0) {
      try {
        return this.type.fromBuffer(buf.subarray(HEADER_LENGTH)) as T;
      } catch (cause) {
        throw corrupt(cause, this.fingerprintHex);
      }
    }
    const fp = buf.subarray(2, HEADER_LENGTH).toString('hex');
    const writer = this.writers.get(fp);
    if (!writer) throw new SchemaError('AVRO_UNKNOWN_FINGERPRINT', `unknown writer schema fingerprint ${fp}`, { context: { fingerprint: fp } });
    try {
      if (fp === this.fingerprintHex) return this.type.fromBuffer(buf.subarray(HEADER_LENGTH)) as T;
      let resolver = this.resolvers.get(fp);
      if (!resolver) {
        resolver = this.type.createResolver(writer);
        this.resolvers.set(fp, resolver);
      }
      return this.type.fromBuffer(buf.subarray(HEADER_LENGTH), resolver, false) as T;
    } catch (cause) {
      throw corrupt(cause, fp);
    }
  }
}

function corrupt(cause: unknown, fingerprint: string): SchemaError {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (cause instanceof BlockCountError) return new SchemaError('AVRO_BAD_COUNT', `impossible Avro block: ${message}`, { cause, context: { fingerprint } });
  return new SchemaError('AVRO_CORRUPT', `corrupt Avro body (${message})`, { cause, context: { fingerprint } });
}

/** Key and value for the compacted schemas topic: key = fingerprint hex, value = canonical form. */
export function schemaTopicMessage(type: AvroType): { key: string; value: string } {
  return { key: fingerprintOf(type).toString('hex'), value: canonicalForm(type) };
}
