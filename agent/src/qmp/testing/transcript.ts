/**
 * The shared transcript format (../shared/fixtures/qmp/README.md), one JSON object per line:
 *   {"t": <epoch ms>, "dir": "out" | "in" | "host", "msg": {...}}
 * Written by `qmpipe record`, read by tests and replay.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../../common/src/paths.js';

export interface TranscriptLine { t: number; dir: 'out' | 'in' | 'host'; msg: Record<string, unknown> }

export function parseTranscript(text: string): TranscriptLine[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as TranscriptLine);
}

/** Path of a shared fixture: <repo>/../shared/fixtures/qmp/<name>. */
export function fixturePath(name: string): string {
  return join(packageRoot(), '..', 'shared', 'fixtures', 'qmp', name);
}

export function loadFixture(name: string): TranscriptLine[] {
  return parseTranscript(readFileSync(fixturePath(name), 'utf8'));
}
