/**
 * The replay source: a recorded QMP transcript (transcript.ts) → the RawRecords the
 * live agent would have published for it, in order. The only I/O is reading the file
 * (`replayFile`) or a stream (`replayStream`); `replayLines` is a pure generator.
 *
 * Garbage is tolerated: lines that are not JSON or not the transcript shape are
 * counted as `malformed` and skipped (blank lines are skipped silently). Input with
 * no valid transcript line at all throws a `TranscriptError`.
 *
 * `until` (epoch ms) cuts the replay: it ends at the last tick whose t (device-mode
 * query-blockstats arrival) is <= until. That tick is completed with the rest of its
 * poll (slow group, host lines) even when those lines come just after the cut; no
 * event or new tick after the cut is read.
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { RawRecord } from '#schemas/types.js';
import { endRecords, initialRecords, toRecords, type RecordState } from './records.js';
import { continuesOpenTick, endSegments, initialSegmenter, segment, type Segment, type SegmenterState } from './segmenter.js';
import { parseTranscriptLine, TranscriptError } from './transcript.js';

export { TranscriptError } from './transcript.js';

export interface ReplayStats {
  lines: number;
  malformed: number;
  ignoredCommands: number;
  ticks: number;
  events: number;
}

export interface ReplayOptions {
  /** VmIdentity.host of the records (default 'replay'). */
  host?: string;
  /** Epoch ms: stop at the last complete tick with t <= until. */
  until?: number;
}

interface ReplayState {
  readonly until: number;
  readonly seg: SegmenterState;
  readonly rec: RecordState;
  readonly lines: number;
  readonly badLines: number;
  readonly validLines: number;
  readonly done: boolean;
}

function startReplay(opts: ReplayOptions): ReplayState {
  const until = opts.until ?? Number.POSITIVE_INFINITY;
  return { until, seg: initialSegmenter(), rec: initialRecords(opts.host ?? 'replay'), lines: 0, badLines: 0, validLines: 0, done: false };
}

/** Segments → records, dropping ticks after the cut. */
function emit(s: ReplayState, segments: readonly Segment[]): { rec: RecordState; records: RawRecord[] } {
  let rec = s.rec;
  const records: RawRecord[] = [];
  for (const sg of segments) {
    if (sg.kind === 'tick' && sg.tick.t > s.until) continue;
    const step = toRecords(rec, sg);
    rec = step.state;
    records.push(...step.records);
  }
  return { rec, records };
}

/** Feeds one text line. Once `done`, further lines are not read. */
function feedLine(s: ReplayState, text: string): { state: ReplayState; records: RawRecord[] } {
  if (s.done || text.trim() === '') return { state: s, records: [] };
  const counted = { ...s, lines: s.lines + 1 };
  const line = parseTranscriptLine(text);
  if (!line) return { state: { ...counted, badLines: s.badLines + 1 }, records: [] };
  const valid = { ...counted, validLines: s.validLines + 1 };
  if (line.t > s.until && !continuesOpenTick(s.seg, line)) return { state: { ...valid, done: true }, records: [] };
  const step = segment(s.seg, line);
  const { rec, records } = emit({ ...valid, seg: step.state }, step.segments);
  return { state: { ...valid, seg: step.state, rec }, records };
}

function finishReplay(s: ReplayState): { records: RawRecord[]; stats: ReplayStats } {
  if (s.validLines === 0) {
    throw new TranscriptError(`not a QMP transcript: none of ${s.lines} line(s) is a {"t","dir","msg"} object`, { lines: s.lines });
  }
  const end = endSegments(s.seg);
  const emitted = emit({ ...s, seg: end.state }, end.segments);
  const last = endRecords(emitted.rec, end.state.startup);
  const rec = last.state;
  const stats: ReplayStats = {
    lines: s.lines,
    malformed: s.badLines + end.state.malformed,
    ignoredCommands: end.state.ignoredCommands,
    ticks: rec.ticks,
    events: rec.events,
  };
  return { records: [...emitted.records, ...last.records], stats };
}

/** Replays transcript lines; the generator's return value is the ReplayStats. */
export function* replayLines(lines: Iterable<string>, opts: ReplayOptions = {}): Generator<RawRecord, ReplayStats> {
  let s = startReplay(opts);
  for (const text of lines) {
    const step = feedLine(s, text);
    s = step.state;
    yield* step.records;
    if (s.done) break;
  }
  const end = finishReplay(s);
  yield* end.records;
  return end.stats;
}

/** Reads and replays a whole transcript file. */
export function replayFile(path: string, opts: ReplayOptions = {}): { records: RawRecord[]; stats: ReplayStats } {
  const gen = replayLines(readFileSync(path, 'utf8').split('\n'), opts);
  const records: RawRecord[] = [];
  for (let r = gen.next(); ; r = gen.next()) {
    if (r.done) return { records, stats: r.value };
    records.push(r.value);
  }
}

/** Replays a transcript from a stream (e.g. a growing file or stdin), line by line. */
export async function* replayStream(input: Readable, opts: ReplayOptions = {}): AsyncGenerator<RawRecord, ReplayStats> {
  let s = startReplay(opts);
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const text of rl) {
      const step = feedLine(s, text);
      s = step.state;
      yield* step.records;
      if (s.done) break;
    }
  } finally {
    rl.close();
  }
  const end = finishReplay(s);
  yield* end.records;
  return end.stats;
}
