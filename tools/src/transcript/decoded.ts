/**
 * Records of a recorded QMP transcript, exactly as the processor would consume them
 * from Kafka: the agent's sample building (tools/src/transcript), then each record
 * through the raw topic's Avro single-object encode and decode.
 */
import { replayFile, type ReplayStats } from './replay.js';
import { decodeRaw, encodeRaw } from '#schemas/codecs/raw.js';
import type { RawRecord, Sample } from '#schemas/types.js';

export interface TranscriptRecords {
  records: RawRecord[];
  stats: ReplayStats;
  /** Encoded bytes of all records (what a consumer would have read). */
  bytes: number;
}

/** Reads a transcript; throws the agent's TranscriptError when the file is not one. */
export function transcriptRecords(path: string, opts: { until?: number; host?: string } = {}): TranscriptRecords {
  const { records, stats } = replayFile(path, opts);
  let bytes = 0;
  const decoded = records.map((r) => {
    const buf = encodeRaw(r);
    bytes += buf.length;
    return decodeRaw(buf);
  });
  return { records: decoded, stats, bytes };
}

/** The last Sample of the records and the VM it came from. */
export function lastSample(records: readonly RawRecord[]): { vm: string; sample: Sample; t: number } | null {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.body.kind === 'Sample') return { vm: r.vm.name, sample: r.body.value, t: r.t };
  }
  return null;
}
