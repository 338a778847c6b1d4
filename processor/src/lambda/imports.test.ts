/**
 * The Lambda carries none of the long-running processor's start-up: every module the
 * handler reaches, following its static and dynamic imports (relative and `#processor/…`),
 * lies outside processor/src/runtime/ (main.ts, the consumer group, its transactions).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '#common/paths.js';

const root = packageRoot();

/** The processor modules a file imports, as paths from the package root. */
function processorImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
    const spec = m[1]!;
    const target = spec.startsWith('#processor/')
      ? join('processor/src', spec.slice('#processor/'.length))
      : spec.startsWith('.')
        ? join(dirname(file), spec)
        : null;
    if (target?.startsWith('processor/')) out.push(target.replace(/\.js$/, '.ts'));
  }
  return out;
}

/** Every processor module reachable from `entry`. */
function moduleGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f) || !existsSync(join(root, f))) continue;
    seen.add(f);
    todo.push(...processorImports(f));
  }
  return seen;
}

describe('the Lambda module graph', () => {
  const graph = moduleGraph('processor/src/lambda/handler.ts');

  it('follows the handler into the partition shell and the sinks', () => {
    expect(graph).toContain('processor/src/lambda/invoke.ts');
    expect(graph).toContain('processor/src/partition/partitionStep.ts');
    expect([...graph].some((f) => f.startsWith('processor/src/sinks/'))).toBe(true);
  });

  it('reaches nothing of the Kafka runtime (runtime/main, runtime/kafka)', () => {
    const runtime = [...graph].filter((f) => relative('processor/src/runtime', f).split('/')[0] !== '..');
    expect(runtime).toEqual([]);
  });
});
