/**
 * The shared QMP fixtures as parsed transcript lines, for tests (the format and its
 * parser live in agent/src/replay/transcript.ts; `qmpipe record` writes it).
 */
import { readFileSync } from 'node:fs';
import { fixturePath } from '../../replay/fixtures.js';
import { parseTranscriptLine, type TranscriptLine } from '../../replay/transcript.js';

export type { TranscriptLine } from '../../replay/transcript.js';

/** Every valid line of a transcript, in order. */
export function parseTranscript(text: string): TranscriptLine[] {
  return text.split('\n').flatMap((l) => {
    const line = l.trim() === '' ? undefined : parseTranscriptLine(l);
    return line ? [line] : [];
  });
}

/** ../shared/fixtures/qmp/<name>, parsed. */
export function loadFixture(name: string): TranscriptLine[] {
  return parseTranscript(readFileSync(fixturePath('qmp', name), 'utf8'));
}
