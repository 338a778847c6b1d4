/**
 * Prometheus remote write 1.0 request body: a `prometheus.WriteRequest` in protobuf
 * (prometheus/prompb/remote.proto and types.proto), encoded by hand. Pure.
 *
 *   message WriteRequest { repeated TimeSeries timeseries = 1; reserved 2; repeated MetricMetadata metadata = 3; }
 *   message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }   (exemplars = 3, histograms = 4 unused)
 *   message Label        { string name = 1; string value = 2; }
 *   message Sample       { double value = 1; int64 timestamp = 2; }                  (timestamp: ms since the epoch)
 *
 * Wire format (protobuf encoding guide): a field is a tag varint (field << 3 | wire type)
 * then its payload; wire type 2 (length-delimited: a varint length, then bytes) for
 * messages and strings, 1 (64-bit little-endian) for doubles, 0 (varint) for int64.
 * Labels must be sorted by name (the spec); the caller sorts them. A stale marker is
 * Prometheus' StaleNaN, the NaN with payload 0x7ff0000000000002, written bit-exact (a JS
 * NaN's payload is not guaranteed to survive a float store).
 */

export interface PromSample {
  value: number;
  /** Epoch ms. */
  t: number;
  /** Write Prometheus' staleness marker (the series ended) instead of `value`. */
  stale?: boolean;
}

export interface TimeSeries {
  /** [name, value] pairs, sorted by name, `__name__` among them. */
  labels: ReadonlyArray<readonly [string, string]>;
  /** The labels already encoded (encodeLabels), when the caller keeps them per series: encoding is then a copy. */
  labelBytes?: Buffer | undefined;
  /** In time order. */
  samples: readonly PromSample[];
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;

export const TAG = {
  writeRequestTimeseries: (1 << 3) | WIRE_LEN, // 0x0a
  timeSeriesLabels: (1 << 3) | WIRE_LEN, // 0x0a
  timeSeriesSamples: (2 << 3) | WIRE_LEN, // 0x12
  labelName: (1 << 3) | WIRE_LEN, // 0x0a
  labelValue: (2 << 3) | WIRE_LEN, // 0x12
  sampleValue: (1 << 3) | WIRE_FIXED64, // 0x09
  sampleTimestamp: (2 << 3) | WIRE_VARINT, // 0x10
} as const;

/** Prometheus' StaleNaN, little-endian. */
const STALE_NAN = Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);

/** Bytes of a varint of a non-negative integer up to 2^53. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint: not a non-negative safe integer: ${n}`);
  while (n >= 128) {
    buf[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

function fieldSize(payload: number): number {
  return 1 + varintSize(payload) + payload;
}

function labelSize(name: number, value: number): number {
  return fieldSize(name) + fieldSize(value);
}

function sampleSize(t: number): number {
  return 1 + 8 + 1 + varintSize(t);
}

interface Sized {
  series: TimeSeries;
  labels: Buffer;
  size: number;
}

/** The label fields of a TimeSeries (field 1, repeated), encoded once. */
export function encodeLabels(labels: ReadonlyArray<readonly [string, string]>): Buffer {
  const parts = labels.map(([n, v]) => [Buffer.from(n, 'utf8'), Buffer.from(v, 'utf8')] as const);
  const total = parts.reduce((a, [n, v]) => a + fieldSize(labelSize(n.length, v.length)), 0);
  const buf = Buffer.allocUnsafe(total);
  let at = 0;
  for (const [name, value] of parts) {
    buf[at++] = TAG.timeSeriesLabels;
    at = writeVarint(buf, at, labelSize(name.length, value.length));
    at = writeBytes(buf, at, TAG.labelName, name);
    at = writeBytes(buf, at, TAG.labelValue, value);
  }
  return buf;
}

function sizeOf(series: TimeSeries): Sized {
  const labels = series.labelBytes ?? encodeLabels(series.labels);
  let size = labels.length;
  for (const x of series.samples) size += fieldSize(sampleSize(x.t));
  return { series, labels, size };
}

function writeBytes(buf: Buffer, at: number, tag: number, bytes: Buffer): number {
  buf[at++] = tag;
  at = writeVarint(buf, at, bytes.length);
  bytes.copy(buf, at);
  return at + bytes.length;
}

function writeSeries(buf: Buffer, at: number, s: Sized): number {
  buf[at++] = TAG.writeRequestTimeseries;
  at = writeVarint(buf, at, s.size);
  s.labels.copy(buf, at);
  at += s.labels.length;
  for (const x of s.series.samples) {
    buf[at++] = TAG.timeSeriesSamples;
    at = writeVarint(buf, at, sampleSize(x.t));
    buf[at++] = TAG.sampleValue;
    if (x.stale) STALE_NAN.copy(buf, at);
    else buf.writeDoubleLE(x.value, at);
    at += 8;
    buf[at++] = TAG.sampleTimestamp;
    at = writeVarint(buf, at, x.t);
  }
  return at;
}

/** The protobuf bytes of a WriteRequest holding these series (uncompressed). */
export function encodeWriteRequest(series: readonly TimeSeries[]): Buffer {
  const sized = series.map(sizeOf);
  const total = sized.reduce((a, s) => a + fieldSize(s.size), 0);
  const buf = Buffer.allocUnsafe(total);
  let at = 0;
  for (const s of sized) at = writeSeries(buf, at, s);
  if (at !== total) throw new Error(`WriteRequest: wrote ${at} bytes, sized ${total}`);
  return buf;
}

/** Samples in a list of series. */
export function sampleCount(series: readonly TimeSeries[]): number {
  let n = 0;
  for (const s of series) n += s.samples.length;
  return n;
}
