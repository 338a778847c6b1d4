/**
 * infra/package/Dockerfile, checked statically (CI pulls no images, so it is not built
 * there): multi-stage, the runtime stage unprivileged with production dependencies only,
 * the entry point, and every source the build needs copied. The image name it documents
 * is the one the Kubernetes manifests run (test/unit/deploy.test.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '#common/paths.js';

interface Stage {
  from: string;
  name: string | undefined;
  /** Instructions after FROM, continuation lines joined. */
  lines: string[];
}

function stages(text: string): Stage[] {
  const instructions = text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) out.push({ from: from[1]!, name: from[2], lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

const root = packageRoot();
const text = readFileSync(join(root, 'infra', 'package', 'Dockerfile'), 'utf8');
const all = stages(text);
const runtime = all.at(-1)!;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };

describe('infra/package/Dockerfile', () => {
  it('is multi-stage on an official node image at least as new as engines.node', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const s of all) {
      const major = /^node:(\d+)(?:[.-]|$)/.exec(s.from)?.[1];
      expect(major, s.from).toBeDefined();
      expect(Number(major), s.from).toBeGreaterThanOrEqual(Number(/\d+/.exec(pkg.engines.node)![0]));
    }
  });

  it('runs as an unprivileged numeric user, the last USER of the runtime stage', () => {
    const users = runtime.lines.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(users.at(-1)).toBe('10001');
  });

  it('starts the one CLI entry point', () => {
    expect(runtime.lines).toContain('ENTRYPOINT ["node", "/app/bin/qmpipe.mjs"]');
  });

  it('copies production dependencies only: node_modules from the stage that ran npm ci --omit=dev', () => {
    const copies = runtime.lines.filter((l) => /^COPY\s/i.test(l));
    const modules = copies.filter((l) => l.includes('node_modules'));
    expect(modules).toHaveLength(1);
    const fromStage = /--from=(\S+)/.exec(modules[0]!)?.[1];
    const deps = all.find((s) => s.name === fromStage)!;
    expect(deps.lines.some((l) => /npm ci\b.*--omit=dev/.test(l))).toBe(true);
    expect(deps.lines.some((l) => /npm ci\b/.test(l) && !l.includes('--omit=dev'))).toBe(false);
    // The runtime stage installs nothing itself.
    expect(runtime.lines.some((l) => /\bnpm\s+(ci|install|i)\b/.test(l))).toBe(false);
  });

  it('ships what the app reads at run time: package.json (imports map), bin/, dist/, schemas/avro', () => {
    const copies = runtime.lines.filter((l) => /^COPY\s/i.test(l)).map((l) => l.split(/\s+/).at(-1)!);
    for (const target of ['./package.json', './node_modules', './dist', './bin/qmpipe.mjs', './schemas/avro']) expect(copies).toContain(target);
  });

  it('the build stage copies every folder tsconfig.build.json compiles, and each exists', () => {
    const build = all.find((s) => s.lines.some((l) => l.includes('tsconfig.build.json') && l.startsWith('RUN')))!;
    const copied = new Set(build.lines.filter((l) => /^COPY\s/i.test(l) && !l.includes('--from')).flatMap((l) => l.split(/\s+/).slice(1, -1)));
    const include = (JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] }).include;
    for (const dir of new Set(include.map((p) => p.split('/')[0]!))) expect(copied.has(dir), dir).toBe(true);
    for (const src of copied) expect(existsSync(join(root, src)), src).toBe(true);
  });

  it("labels the image with package.json's version", () => {
    expect(runtime.lines.join('\n')).toContain(`org.opencontainers.image.version="${pkg.version}"`);
  });
});
