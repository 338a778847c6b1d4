/**
 * Fault variants of the transcript fixtures, made at test time by the scripts in
 * test/fixtures/tools (see their README): python3 writes the variant into a temp dir.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { fixturePath } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'qmpipe-variant-'));
// Each test file imports this afresh (vitest isolates files): its variants go with it.
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `test/fixtures/tools/<script>.py IN OUT ...args` on the QMP fixture `fixture`
 * and returns OUT's path.
 */
export function faultVariant(script: 'inject_reconnect' | 'inject_skew' | 'thin_slow', fixture: string, ...args: Array<string | number>): string {
  const out = join(dir, `${fixture.replace(/\.jsonl$/, '')}.${script}.${args.join('-')}.jsonl`);
  execFileSync('python3', [fixturePath('tools', `${script}.py`), fixturePath('qmp', fixture), out, ...args.map(String)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return out;
}
