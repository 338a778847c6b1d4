/**
 * ARCHITECTURE.md's import order, checked on every import of every app file: a folder
 * imports only from folders below it; agent, processor and alerts never import each
 * other; no app imports test helpers; relative imports stay inside their folder.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '#common/paths.js';

const LAYER: Record<string, number> = { common: 0, schemas: 1, agent: 2, processor: 2, alerts: 2, tools: 3, top: 3.5, demo: 4, cli: 5 };
const root = packageRoot();
const appFiles = execFileSync('git', ['ls-files', '*.ts'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f.split('/')[0]! in LAYER && !f.endsWith('.test.ts'));

/** Every import specifier of a file (static, dynamic, re-exports), with the folder it reaches. */
function importsOf(file: string): Array<{ spec: string; folder: string }> {
  const text = readFileSync(join(root, file), 'utf8');
  const out: Array<{ spec: string; folder: string }> = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
    const spec = m[1]!;
    if (spec.startsWith('#')) out.push({ spec, folder: spec.slice(1).split('/')[0]! });
    else if (spec.startsWith('.')) out.push({ spec, folder: normalize(join(dirname(file), spec)).split('/')[0]! });
  }
  return out;
}

describe('architecture (ARCHITECTURE.md)', () => {
  it('reads the app files', () => {
    expect(appFiles.length).toBeGreaterThan(150);
  });

  it.each(Object.keys(LAYER))('%s imports only from folders below it, never from a peer', (app) => {
    const bad: string[] = [];
    for (const f of appFiles.filter((x) => x.startsWith(`${app}/`))) {
      for (const { spec, folder } of importsOf(f)) {
        if (folder === app) continue;
        if (folder === 'test' || !(folder in LAYER) || LAYER[folder]! >= LAYER[app]!) bad.push(`${f} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('cross-folder imports use the package imports (#app/…), not relative paths', () => {
    const bad = appFiles.flatMap((f) =>
      importsOf(f)
        .filter((i) => i.spec.startsWith('.') && i.folder !== f.split('/')[0])
        .map((i) => `${f}: ${i.spec}`),
    );
    expect(bad).toEqual([]);
  });

  it('the build compiles no test code', () => {
    const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[]; exclude: string[] };
    expect(build.include.some((p) => p.startsWith('test'))).toBe(false);
    expect(build.exclude).toContain('**/*.test.ts');
  });
});
