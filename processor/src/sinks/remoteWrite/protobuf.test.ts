import { uncompress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { compressBody } from './client.js';
import { encodeLabels, encodeWriteRequest, varintSize } from './protobuf.js';

/** A minimal protobuf reader: fields as [number, wireType, payload] (spec: encoding guide). */
function fields(buf: Buffer): Array<[number, number, Buffer | number]> {
  const out: Array<[number, number, Buffer | number]> = [];
  let at = 0;
  const varint = (): number => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = buf[at++]!;
      n += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 128) return n;
    }
  };
  while (at < buf.length) {
    const tag = varint();
    const wire = tag & 7;
    const field = Math.floor(tag / 8);
    if (wire === 0) out.push([field, wire, varint()]);
    else if (wire === 1) {
      out.push([field, wire, buf.subarray(at, at + 8)]);
      at += 8;
    } else if (wire === 2) {
      const len = varint();
      out.push([field, wire, buf.subarray(at, at + len)]);
      at += len;
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

describe('encodeWriteRequest (prompb WriteRequest)', () => {
  const t = 1_795_311_999_124;
  const body = encodeWriteRequest([
    {
      labels: [
        ['__name__', 'qmpipe_block_write_bytes_total'],
        ['device', 'vda'],
        ['vm', 'cap-thin'],
      ],
      samples: [
        { value: 8388608, t },
        { value: 0, t: t + 1000, stale: true },
      ],
    },
    { labels: [['__name__', 'up']], samples: [{ value: 1.5, t: 0 }] },
  ]);

  it('writes timeseries = 1, labels = 1 {name = 1, value = 2}, samples = 2 {double value = 1, int64 timestamp = 2}', () => {
    const top = fields(body);
    expect(top.map(([f, w]) => [f, w])).toEqual([
      [1, 2],
      [1, 2],
    ]);
    const ts = fields(top[0]![2] as Buffer);
    expect(ts.map(([f]) => f)).toEqual([1, 1, 1, 2, 2]);
    const labels = ts.filter(([f]) => f === 1).map(([, , b]) => fields(b as Buffer).map(([f, w, v]) => [f, w, (v as Buffer).toString()]));
    expect(labels[0]).toEqual([
      [1, 2, '__name__'],
      [2, 2, 'qmpipe_block_write_bytes_total'],
    ]);
    expect(labels[2]).toEqual([
      [1, 2, 'vm'],
      [2, 2, 'cap-thin'],
    ]);
    const [s1, s2] = ts.filter(([f]) => f === 2).map(([, , b]) => fields(b as Buffer));
    expect(s1!.map(([f, w]) => [f, w])).toEqual([
      [1, 1],
      [2, 0],
    ]);
    expect((s1![0]![2] as Buffer).readDoubleLE(0)).toBe(8388608);
    expect(s1![1]![2]).toBe(t);
    expect((s2![0]![2] as Buffer).toString('hex')).toBe('020000000000f07f'); // Prometheus StaleNaN, bit-exact
    expect(s2![1]![2]).toBe(t + 1000);
  });

  it('writes the same bytes from labels encoded once per series (labelBytes)', () => {
    const ts = {
      labels: [
        ['__name__', 'up'],
        ['vm', 'é-vm'],
      ] as Array<[string, string]>,
      samples: [{ value: 1, t }],
    };
    expect(encodeWriteRequest([{ ...ts, labelBytes: encodeLabels(ts.labels) }]).equals(encodeWriteRequest([ts]))).toBe(true);
  });

  it('encodes an empty request as no bytes, and varints of up to 2^53', () => {
    expect(encodeWriteRequest([]).length).toBe(0);
    expect([0, 127, 128, 16383, 16384, t, 2 ** 53 - 1].map(varintSize)).toEqual([1, 1, 2, 2, 3, 6, 8]);
  });

  it('compresses with snappy block format (what receivers uncompress)', () => {
    const c = compressBody(body);
    expect(c.length).toBeLessThan(body.length);
    expect(Buffer.from(uncompress(c)).equals(body)).toBe(true);
  });
});
