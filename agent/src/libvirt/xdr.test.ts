import { describe, expect, it } from 'vitest';
import { LibvirtProtocolError } from './errors.js';
import { XdrReader, XdrWriter } from './xdr.js';

const reader = (w: XdrWriter): XdrReader => new XdrReader(w.bytes());

function protocolError(f: () => unknown): LibvirtProtocolError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(LibvirtProtocolError);
    return err as LibvirtProtocolError;
  }
  throw new Error('expected a LibvirtProtocolError');
}

describe('XDR round trips', () => {
  it('hyperValue: a number below 2^53 in magnitude (and -2^53), a bigint from there, both exact', () => {
    const big = [2n ** 53n - 1n, -(2n ** 53n), 2n ** 53n + 1n, -(2n ** 53n) - 1n, -(2n ** 63n), 0n, -1n, 4096n];
    const w = new XdrWriter(4);
    for (const v of big) w.hyper(v);
    for (const v of [2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n, 268435456n]) w.uhyper(v);
    const r = reader(w);
    expect(big.map(() => r.hyperValue(false))).toEqual([2 ** 53 - 1, -(2 ** 53), 2n ** 53n + 1n, -(2n ** 53n) - 1n, -(2n ** 63n), 0, -1, 4096]);
    expect([0, 1, 2, 3].map(() => r.hyperValue(true))).toEqual([2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n, 268435456]);
    r.expectEnd();
  });

  it('scalars keep their exact values', () => {
    const w = new XdrWriter(4)
      .int(-2147483648)
      .int(2147483647)
      .uint(4294967295)
      .hyper(-(2n ** 63n))
      .uhyper(2n ** 64n - 1n)
      .double(-1.5e300)
      .bool(true)
      .bool(false);
    const r = reader(w);
    expect([r.int(), r.int(), r.uint()]).toEqual([-2147483648, 2147483647, 4294967295]);
    expect([r.hyper(), r.uhyper()]).toEqual([-(2n ** 63n), 2n ** 64n - 1n]);
    expect([r.double(), r.bool(), r.bool()]).toEqual([-1.5e300, true, false]);
    r.expectEnd();
  });

  it('strings and opaques are padded to 4 bytes with zeros', () => {
    const bytes = new XdrWriter()
      .string('abcde', 10)
      .opaque(Buffer.from([1, 2]), 2)
      .fixedOpaque(Buffer.from([9, 9, 9]), 3)
      .bytes();
    expect(bytes.toString('hex')).toBe('00000005' + '6162636465000000' + '00000002' + '01020000' + '09090900');
    const r = new XdrReader(bytes);
    expect(r.string(10)).toBe('abcde');
    expect([...r.opaque(2)]).toEqual([1, 2]);
    expect([...r.fixedOpaque(3)]).toEqual([9, 9, 9]);
    r.expectEnd();
  });

  it('UTF-8 strings, arrays and optionals', () => {
    const w = new XdrWriter()
      .string('vérifié ✓', 100)
      .array([3, 1, 2], 5, (x, v) => x.int(v))
      .optional(null, (x, v: string) => x.string(v, 9))
      .optional('x', (x, v) => x.string(v, 9));
    const r = reader(w);
    expect(r.string(100)).toBe('vérifié ✓');
    expect(r.array(5, 4, (x) => x.int())).toEqual([3, 1, 2]);
    expect(r.optional((x) => x.string(9))).toBeNull();
    expect(r.optional((x) => x.string(9))).toBe('x');
    r.expectEnd();
  });
});

describe('XDR limits and bad input', () => {
  it('a count above the max throws LIMIT before reading items', () => {
    let items = 0;
    const r = new XdrReader(new XdrWriter().uint(17).int(0).bytes());
    expect(
      protocolError(() =>
        r.array(16, 4, (x) => {
          items++;
          return x.int();
        }),
      ).reason,
    ).toBe('LIMIT');
    expect(items).toBe(0);
  });

  it('a 20-byte message announcing 10^9 items throws TRUNCATED without reading or allocating items', () => {
    let items = 0;
    const msg = Buffer.alloc(20);
    msg.writeUInt32BE(1_000_000_000, 0);
    const before = process.memoryUsage().arrayBuffers;
    const err = protocolError(() =>
      new XdrReader(msg).array(2 ** 32 - 1, 4, (x) => {
        items++;
        return x.int();
      }),
    );
    expect(err.reason).toBe('TRUNCATED');
    expect(err.message).toContain('1000000000 items need at least 4000000000 bytes, 16 left');
    expect(items).toBe(0);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  it('string/opaque lengths are checked against max and remaining bytes', () => {
    expect(protocolError(() => new XdrReader(new XdrWriter().uint(11).bytes()).string(10)).reason).toBe('LIMIT');
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(1_000_000_000, 0);
    expect(protocolError(() => new XdrReader(huge).opaque(2 ** 32 - 1)).reason).toBe('TRUNCATED');
    // the padding counts: 5 bytes of string need 8
    expect(protocolError(() => new XdrReader(Buffer.from('0000000561626364650000', 'hex')).string(10)).reason).toBe('TRUNCATED');
  });

  it('truncated scalars, bad bools, trailing bytes', () => {
    expect(protocolError(() => new XdrReader(Buffer.alloc(7)).hyper()).reason).toBe('TRUNCATED');
    expect(protocolError(() => new XdrReader(new XdrWriter().int(2).bytes()).bool()).reason).toBe('BAD_VALUE');
    const r = new XdrReader(Buffer.alloc(8));
    r.int();
    expect(protocolError(() => r.expectEnd()).reason).toBe('TRAILING');
  });

  it('the writer refuses values the protocol cannot carry', () => {
    expect(protocolError(() => new XdrWriter().int(2 ** 31)).reason).toBe('BAD_VALUE');
    expect(protocolError(() => new XdrWriter().uint(-1)).reason).toBe('BAD_VALUE');
    expect(protocolError(() => new XdrWriter().string('abc', 2)).reason).toBe('LIMIT');
    expect(protocolError(() => new XdrWriter().array([1, 2], 1, (w, v) => w.int(v))).reason).toBe('LIMIT');
    expect(protocolError(() => new XdrWriter().fixedOpaque(Buffer.alloc(3), 16)).reason).toBe('BAD_VALUE');
  });
});
