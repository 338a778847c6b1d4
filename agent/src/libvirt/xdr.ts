/**
 * XDR (RFC 4506) as libvirt's rpcgen uses it: big-endian 4-byte units, strings and opaques
 * padded to 4 bytes, `T *x` (optional) as a bool then T, `T x<N>` as a count then items.
 * Pure: a reader over one Buffer, a writer that grows its own.
 *
 * Every length and count is checked against the field's protocol max AND against the bytes
 * left BEFORE anything is allocated: a variable array must say how small one item can be
 * (`minItemBytes`), so a 20-byte message announcing 10^9 items fails at once.
 */
import { LibvirtProtocolError } from './errors.js';

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

export class XdrReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    offset = 0,
    private readonly end = buf.length,
  ) {
    this.pos = offset;
  }

  get offset(): number {
    return this.pos;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  private need(bytes: number, what: string): void {
    if (bytes > this.end - this.pos) {
      throw new LibvirtProtocolError('TRUNCATED', `XDR ${what}: needs ${bytes} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
    }
  }

  int(): number {
    this.need(4, 'int');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint(): number {
    this.need(4, 'unsigned int');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  hyper(): bigint {
    this.need(8, 'hyper');
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  uhyper(): bigint {
    this.need(8, 'unsigned hyper');
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /**
   * A hyper (or, `unsigned`, an unsigned hyper) as a number when it is one exactly
   * (-2^53 ≤ v < 2^53), else a bigint: a stats record holds a hundred of them, and a bigint
   * costs four heap allocations to read.
   */
  hyperValue(unsigned: boolean): number | bigint {
    this.need(8, unsigned ? 'unsigned hyper' : 'hyper');
    const hi = unsigned ? this.buf.readUInt32BE(this.pos) : this.buf.readInt32BE(this.pos);
    if (hi < 0x200000 && hi >= -0x200000) {
      const v = hi * 0x1_0000_0000 + this.buf.readUInt32BE(this.pos + 4);
      this.pos += 8;
      return v;
    }
    return unsigned ? this.uhyper() : this.hyper();
  }

  double(): number {
    this.need(8, 'double');
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  bool(): boolean {
    const v = this.int();
    if (v !== 0 && v !== 1) throw new LibvirtProtocolError('BAD_VALUE', `XDR bool: ${v} is neither 0 nor 1`);
    return v === 1;
  }

  /** A length word checked against `max` and the bytes left (with padding). */
  private length(max: number, what: string): number {
    const n = this.uint();
    if (n > max) throw new LibvirtProtocolError('LIMIT', `XDR ${what}: length ${n} above its max ${max}`);
    this.need(n + pad4(n), what);
    return n;
  }

  /** `opaque x<max>`: a view into the message, not a copy. */
  opaque(max: number): Buffer {
    const n = this.length(max, 'opaque');
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n + pad4(n);
    return v;
  }

  /** `opaque x[n]`. */
  fixedOpaque(n: number): Buffer {
    this.need(n + pad4(n), `opaque[${n}]`);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n + pad4(n);
    return v;
  }

  /** `string x<max>`, decoded as UTF-8. */
  string(max: number): string {
    const n = this.length(max, 'string');
    const v = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n + pad4(n);
    return v;
  }

  /** `T x<max>`; `minItemBytes` is the smallest encoding of one T (at least 4). */
  array<T>(max: number, minItemBytes: number, item: (r: XdrReader) => T): T[] {
    const n = this.uint();
    if (n > max) throw new LibvirtProtocolError('LIMIT', `XDR array: count ${n} above its max ${max}`);
    if (n * minItemBytes > this.end - this.pos) {
      throw new LibvirtProtocolError('TRUNCATED', `XDR array: ${n} items need at least ${n * minItemBytes} bytes, ${this.end - this.pos} left`);
    }
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }

  /** `T *x`: null when absent. */
  optional<T>(item: (r: XdrReader) => T): T | null {
    return this.bool() ? item(this) : null;
  }

  /** Throws unless every byte was consumed. */
  expectEnd(): void {
    if (this.pos !== this.end) {
      throw new LibvirtProtocolError('TRAILING', `XDR: ${this.end - this.pos} bytes left after the last field`);
    }
  }
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const UINT_MAX = 2 ** 32 - 1;

export class XdrWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.alloc(initialSize);
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int(v: number): this {
    if (!Number.isInteger(v) || v < INT_MIN || v > INT_MAX) throw new LibvirtProtocolError('BAD_VALUE', `XDR int: ${v} out of range`);
    this.room(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > UINT_MAX) throw new LibvirtProtocolError('BAD_VALUE', `XDR unsigned int: ${v} out of range`);
    this.room(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  hyper(v: bigint): this {
    this.room(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  uhyper(v: bigint): this {
    this.room(8);
    this.buf.writeBigUInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  double(v: number): this {
    this.room(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.int(v ? 1 : 0);
  }

  private padded(bytes: Buffer): this {
    const p = pad4(bytes.length);
    this.room(bytes.length + p);
    bytes.copy(this.buf, this.pos);
    this.buf.fill(0, this.pos + bytes.length, this.pos + bytes.length + p);
    this.pos += bytes.length + p;
    return this;
  }

  opaque(bytes: Buffer, max: number): this {
    if (bytes.length > max) throw new LibvirtProtocolError('LIMIT', `XDR opaque: length ${bytes.length} above its max ${max}`);
    this.uint(bytes.length);
    return this.padded(bytes);
  }

  fixedOpaque(bytes: Buffer, n: number): this {
    if (bytes.length !== n) throw new LibvirtProtocolError('BAD_VALUE', `XDR opaque[${n}]: got ${bytes.length} bytes`);
    return this.padded(bytes);
  }

  string(s: string, max: number): this {
    return this.opaque(Buffer.from(s, 'utf8'), max);
  }

  array<T>(items: readonly T[], max: number, item: (w: XdrWriter, v: T) => void): this {
    if (items.length > max) throw new LibvirtProtocolError('LIMIT', `XDR array: count ${items.length} above its max ${max}`);
    this.uint(items.length);
    for (const v of items) item(this, v);
    return this;
  }

  optional<T>(v: T | null | undefined, item: (w: XdrWriter, v: T) => void): this {
    if (v === null || v === undefined) return this.bool(false);
    this.bool(true);
    item(this, v);
    return this;
  }

  /** The bytes written so far (a copy, so the writer can be reused). */
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
