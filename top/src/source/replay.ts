/**
 * The `--replay FILE` source: a recorded QMP transcript through the agent's sample
 * building and the Avro round trip (tools/src/transcript/decoded.ts), handed over
 * record by record at the transcript's own pace divided by `speed` (Infinity: all at
 * once, for `--once`).
 */
import { transcriptRecords } from '#tools/transcript/decoded.js';
import type { RawRecord } from '#schemas/types.js';
import { sleep } from '#common/sleep.js';

export interface ReplayOptions {
  speed: number;
  host?: string | undefined;
  signal: AbortSignal;
}

/** Resolves when every record was handed over (or the signal aborted). Returns the number handed over. */
export async function playTranscript(file: string, onRecord: (rec: RawRecord) => void, o: ReplayOptions): Promise<number> {
  const { records } = transcriptRecords(file, o.host === undefined ? {} : { host: o.host });
  const startedAt = Date.now();
  const t0 = records[0]?.t ?? 0;
  let n = 0;
  for (const rec of records) {
    if (o.signal.aborted) break;
    if (Number.isFinite(o.speed)) await sleep((rec.t - t0) / o.speed - (Date.now() - startedAt), o.signal);
    if (o.signal.aborted) break;
    onRecord(rec);
    n++;
  }
  return n;
}
