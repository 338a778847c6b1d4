/**
 * The shared QMP fixtures as parsed transcript lines, for tests (the format and its
 * parser live in tools/src/transcript/transcript.ts; `qmpipe record` writes it).
 */
import { readFileSync } from 'node:fs';
import { fixturePath } from './fixtures.js';
import { parseTranscriptLine, type TranscriptLine } from '#tools/transcript/transcript.js';

export type { TranscriptLine } from '#tools/transcript/transcript.js';

/** Every valid line of a transcript, in order. */
export function parseTranscript(text: string): TranscriptLine[] {
  return text.split('\n').flatMap((l) => {
    const line = l.trim() === '' ? undefined : parseTranscriptLine(l);
    return line ? [line] : [];
  });
}

/** test/fixtures/qmp/<name>, parsed. */
export function loadFixture(name: string): TranscriptLine[] {
  return parseTranscript(readFileSync(fixturePath('qmp', name), 'utf8'));
}
