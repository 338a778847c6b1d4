/**
 * Shared transcript fixtures for tests and benchmarks. They live outside the repo,
 * in `../shared/fixtures/` next to the package root (CI clones shared/ beside it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../common/src/paths.js';
import type { Tick } from '../sample/tick.js';
import { endSegments, initialSegmenter, segment, type Segment } from './segmenter.js';
import { parseTranscriptLine } from './transcript.js';

/** Path of a shared fixture, e.g. fixturePath('qmp', 'kvm-vcpu-stats.jsonl'). */
export function fixturePath(...parts: string[]): string {
  return join(packageRoot(), '..', 'shared', 'fixtures', ...parts);
}

export function fixtureLines(...parts: string[]): string[] {
  return readFileSync(fixturePath(...parts), 'utf8').split('\n');
}

/** The segments (ticks, events, connects) of transcript lines, in order. */
export function segmentsOf(lines: Iterable<string>): Segment[] {
  let state = initialSegmenter();
  const out: Segment[] = [];
  for (const text of lines) {
    const line = parseTranscriptLine(text);
    if (!line) continue;
    const step = segment(state, line);
    state = step.state;
    out.push(...step.segments);
  }
  out.push(...endSegments(state).segments);
  return out;
}

/** The ticks of a shared fixture, as the live poller would hand them to the builder. */
export function fixtureTicks(...parts: string[]): Tick[] {
  return segmentsOf(fixtureLines(...parts)).flatMap((s) => (s.kind === 'tick' ? [s.tick] : []));
}
