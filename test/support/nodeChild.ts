/**
 * A test's TypeScript entry run as plain node runs the agent (no test runner in the
 * child's memory or signals): bundled with esbuild (vite's), packages left external and
 * found through a link to the repo's node_modules beside the bundle.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('../../', import.meta.url).pathname;

/** Bundles `entry` (a path from the repo root) into `outDir`; returns the script's path. */
export async function bundleForNode(entry: string, outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(outDir, 'node_modules'));
  const outfile = join(outDir, 'child.mjs');
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    conditions: ['qmpipe-source'],
    logLevel: 'warning',
  });
  return outfile;
}

export function spawnNode(script: string, nodeArgs: string[], env: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [...nodeArgs, script], { cwd: root, env: { ...process.env, ...env } });
}

export interface ChildOutput {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last 2000 characters. */
  stderr: string;
}

/** Resolves when the child has exited, with what it wrote; `onLine` sees each stdout line as it comes. */
export function outputOf(child: ChildProcessWithoutNullStreams, onLine?: (line: string) => void): Promise<ChildOutput> {
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    partial += d.toString();
    for (let i = partial.indexOf('\n'); i >= 0; i = partial.indexOf('\n')) {
      onLine?.(partial.slice(0, i));
      partial = partial.slice(i + 1);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr: stderr.slice(-2000) })));
}
