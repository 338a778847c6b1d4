/**
 * Hand-made hostile raw-topic values: a valid single-object header and body, except that
 * one array or map announces more items than any record could hold (a ~20-byte change).
 */
import avro from 'avsc';
import { encodeRaw } from '#schemas/codecs/raw.js';
import type { RawRecord } from '#schemas/types.js';
import { device, sampleRec } from './records.js';

const long = avro.Type.forSchema('long');

/**
 * `empty` and `withOne` encode the same record but for one array or map (empty, then with
 * one item): the first byte where they differ is that collection's count, 0 in `empty`.
 */
function spliceCount(empty: Buffer, withOne: Buffer, count: number): Buffer {
  let i = 0;
  while (empty[i] === withOne[i]) i++;
  return Buffer.concat([empty.subarray(0, i), long.toBuffer(count), empty.subarray(i + 1)]);
}

const rec = (r: RawRecord): RawRecord => ({ ...r, seq: 1 });

/** A Sample whose blockDevices array announces `count` devices. */
export function hugeArrayCount(count = 1e9): Buffer {
  return spliceCount(encodeRaw(rec(sampleRec(1_000, { blockDevices: [] }))), encodeRaw(rec(sampleRec(1_000, { blockDevices: [device()] }))), count);
}

/** A Sample whose first block device's `extra` map announces `count` entries. */
export function hugeMapCount(count = 1e9): Buffer {
  return spliceCount(
    encodeRaw(rec(sampleRec(1_000, { blockDevices: [device({ extra: {} })] }))),
    encodeRaw(rec(sampleRec(1_000, { blockDevices: [device({ extra: { x: 1 } })] }))),
    count,
  );
}
