/**
 * Names are data: a transcript with its block-job ids, node names and VM name (and so
 * the name-derived uuid) rewritten to strings a plain object treats specially
 * (`__proto__`, `constructor`, …), consistently in every command, reply and event. QEMU
 * accepts such names from whoever started the job or created the node.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HOSTILE_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'] as const;

/** Original name → hostile name. */
export type Renaming = ReadonlyMap<string, string>;

/** Every string equal to a renamed one (values and keys, at any depth) becomes its new name. */
function renameValue(v: unknown, names: Renaming): unknown {
  if (typeof v === 'string') return names.get(v) ?? v;
  if (Array.isArray(v)) return v.map((x) => renameValue(x, names));
  if (typeof v === 'object' && v !== null) {
    // fromEntries defines properties: a key `__proto__` stays an own key.
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [names.get(k) ?? k, renameValue(x, names)]));
  }
  return v;
}

/** The transcript's lines with every occurrence of a renamed name replaced. */
export function renameTranscript(text: string, names: Renaming): string {
  return text
    .split('\n')
    .map((line) => (line.trim() === '' ? line : JSON.stringify(renameValue(JSON.parse(line) as unknown, names))))
    .join('\n');
}

/** Writes the renamed copy of a transcript file to a fresh temporary directory; returns its path. */
export function writeRenamedTranscript(path: string, names: Renaming): string {
  const out = join(mkdtempSync(join(tmpdir(), 'qmpipe-names-')), 'renamed.jsonl');
  writeFileSync(out, renameTranscript(readFileSync(path, 'utf8'), names));
  return out;
}

/** Text with every hostile name replaced back by its original (for comparing outputs). */
export function nameBack(text: string, names: Renaming): string {
  let out = text;
  for (const [original, hostile] of names) out = out.split(hostile).join(original);
  return out;
}
