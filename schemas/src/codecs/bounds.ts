/**
 * Hostile bytes must not allocate: avsc 5.7 reads an array or map block count and
 * allocates and loops that many times before it notices the buffer ended, so a 20-byte
 * value announcing 10⁹ items runs the process out of memory. (String and bytes lengths
 * are checked against the buffer before avsc allocates.)
 *
 * `boundedType(schema)` builds a type whose arrays and maps (avsc type hook) read and
 * skip like avsc's, but first check each block's count against the bytes left: every
 * item takes at least one byte, except items of a zero-size type (null), which no
 * qmpipe schema has in an array. Resolvers borrow the reader's read and the writer's
 * skip, so other writer versions are bounded too. Work and allocation are then
 * bounded by the record's size. A map key `__proto__` is refused as well (it
 * would set the prototype of the decoded map).
 */
import avro from 'avsc';

/** Thrown inside avsc's read; the codec turns it into a SchemaError AVRO_BAD_COUNT. */
export class BlockCountError extends Error {}

interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
  skipString(): void;
}

interface Reader {
  _read(tap: Tap): unknown;
  _skip(tap: Tap): void;
}

type ArrayLike = Reader & { itemsType: Reader };
type MapLike = Reader & { valuesType: Reader };

function blockCount(tap: Tap, what: string, skipping: boolean): number {
  let n = tap.readLong();
  if (n === 0) return 0;
  const left = tap.buf.length - tap.pos;
  if (n < 0) {
    n = -n;
    const size = tap.readLong(); // a block's byte size follows a negative count
    if (skipping) {
      if (size < 0 || size > tap.buf.length - tap.pos) throw new BlockCountError(`${what} block of ${size} bytes with ${Math.max(0, left)} left`);
      tap.pos += size;
      return -1;
    }
  }
  if (n > left) throw new BlockCountError(`${what} of ${n} items with ${Math.max(0, left)} bytes left`);
  return n;
}

function readArray(this: ArrayLike, tap: Tap): unknown[] {
  const items = this.itemsType;
  let val: unknown[] | undefined;
  let i = 0;
  for (let n = blockCount(tap, 'array', false); n !== 0; n = blockCount(tap, 'array', false)) {
    val ??= new Array(n);
    while (n--) val[i++] = items._read(tap);
  }
  return val ?? [];
}

function skipArray(this: ArrayLike, tap: Tap): void {
  for (let n = blockCount(tap, 'array', true); n !== 0; n = blockCount(tap, 'array', true)) {
    while (n-- > 0) this.itemsType._skip(tap);
  }
}

function readMap(this: MapLike, tap: Tap): Record<string, unknown> {
  const values = this.valuesType;
  const val: Record<string, unknown> = {};
  for (let n = blockCount(tap, 'map', false); n !== 0; n = blockCount(tap, 'map', false)) {
    while (n--) {
      const key = tap.readString();
      if (key === '__proto__') throw new BlockCountError('map key __proto__');
      val[key] = values._read(tap);
    }
  }
  return val;
}

function skipMap(this: MapLike, tap: Tap): void {
  for (let n = blockCount(tap, 'map', true); n !== 0; n = blockCount(tap, 'map', true)) {
    while (n-- > 0) {
      tap.skipString();
      this.valuesType._skip(tap);
    }
  }
}

class BoundedArrayType extends avro.types.ArrayType {}
Object.assign(BoundedArrayType.prototype, { _read: readArray, _skip: skipArray });

class BoundedMapType extends avro.types.MapType {}
Object.assign(BoundedMapType.prototype, { _read: readMap, _skip: skipMap });

/** avsc type hook: arrays and maps (at any depth) with bounded reads. */
function boundedTypeHook(schema: avro.Schema, opts: unknown): avro.Type | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const type = (schema as { type?: unknown }).type;
  if (type === 'array') return new BoundedArrayType(schema, opts);
  if (type === 'map') return new BoundedMapType(schema, opts);
  return undefined;
}

/** An avsc type whose arrays and maps check their block counts. */
export function boundedType(schema: avro.Schema): avro.Type {
  return avro.Type.forSchema(schema, { typeHook: boundedTypeHook });
}
