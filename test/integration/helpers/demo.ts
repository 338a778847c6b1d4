/**
 * `qmpipe demo` (bin/qmpipe.mjs, run `npm run build` first) as a child process on the
 * integration stack (its brokers, S3Proxy and run dir), and what its output says.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { s3Client, stack } from './index.js';

const root = join(import.meta.dirname, '..', '..', '..');

export interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `qmpipe demo ARGS`; `onStdout` sees the output so far and may send SIGINT (`kill`). */
export function runDemo(args: string[], onStdout?: (text: string, kill: () => void) => void): Promise<DemoRun> {
  const s = stack();
  const child = spawn(process.execPath, [join(root, 'bin', 'qmpipe.mjs'), 'demo', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_NO_WARNINGS: '1',
      QMPIPE_RUN_DIR: s.runDir,
      KAFKA_BROKERS: s.kafkaBrokers.join(','),
      S3_ENDPOINT: s.s3.endpoint,
      S3_ACCESS_KEY: s.s3.accessKeyId,
      S3_SECRET_KEY: s.s3.secretAccessKey,
      S3_REGION: s.s3.region,
    },
  });
  const run: DemoRun = { code: null, stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    run.stdout += d;
    onStdout?.(run.stdout, () => child.kill('SIGINT'));
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (run.stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ ...run, code })));
}

/** `ALERT FIRING   critical paused-enospc     cap-thin vda[0] lv0-format 01:46:38.9Z: …` of VM `vm` → {state, type, target}. */
export function alertLines(stdout: string, vm = 'cap-thin'): Array<{ state: string; type: string; target: string }> {
  return [...stdout.matchAll(/^ALERT (FIRING|RESOLVED) +(?:warning|critical) +(\S+) +(\S+) (.*?) \d\d:\d\d:\d\d\.\dZ: /gm)]
    .filter((m) => m[3] === vm)
    .map((m) => ({ state: m[1]!.toLowerCase(), type: m[2]!, target: m[4]! }));
}

/** The bucket and the Parquet object keys the demo printed (`== Parquet objects in s3://B (N)` and its rows). */
export function printedParquet(stdout: string): { bucket: string; count: number; keys: string[] } {
  const head = /^== Parquet objects in s3:\/\/(qmpipe-demo-[0-9a-f]{6}) \((\d+)\)/m.exec(stdout);
  const keys = [...stdout.matchAll(/^(rollups\/resolution=(?:10s|1m)\/date=\d{4}-\d\d-\d\d\/hour=\d\d\/part-\d+-\d+(?:-\d+)?\.parquet) +(\d+)$/gm)].map(
    (m) => m[1]!,
  );
  return { bucket: head?.[1] ?? '', count: Number(head?.[2] ?? -1), keys };
}

/** Asserts that the demo printed at least one Parquet object and exactly what S3 lists in its bucket. */
export async function expectListedParquet(stdout: string): Promise<{ bucket: string; keys: string[] }> {
  const p = printedParquet(stdout);
  expect(p.bucket).not.toBe('');
  expect(p.keys.length).toBeGreaterThanOrEqual(1);
  expect(p.keys).toHaveLength(p.count);
  const s3 = s3Client();
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: p.bucket }));
    expect(p.keys).toEqual((listed.Contents ?? []).map((o) => o.Key!).sort());
  } finally {
    s3.destroy();
  }
  return p;
}
