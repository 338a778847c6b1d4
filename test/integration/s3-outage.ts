/**
 * Stops the run's S3Proxy and starts it again with the same config (same port, same
 * credentials, same filesystem data), for outage tests. The new pid goes into the
 * stack's pid file, so the global teardown stops it as usual.
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { s3Client } from './helpers/index.js';

const root = join(import.meta.dirname, '..', '..');

export interface S3Down {
  runDir: string;
  stoppedAt: number;
}

export async function stopS3(runDir: string): Promise<S3Down> {
  const pid = Number(readFileSync(join(runDir, 's3', 's3proxy.pid'), 'utf8').trim());
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { runDir, stoppedAt: Date.now() };
}

/** Starts S3Proxy again once it has been down for `downMs` (counted from the stop), and waits until it answers. */
export async function restartS3After(down: S3Down, downMs: number): Promise<void> {
  const wait = down.stoppedAt + downMs - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const dir = join(down.runDir, 's3');
  const log = openSync(join(down.runDir, 'logs', 's3proxy.log'), 'a');
  const child = spawn(
    'java',
    [
      '-Xmx256m',
      `-Dlogback.configurationFile=${join(root, 'infra', 's3', 'logback.xml')}`,
      '-cp',
      join(root, '.cache', 's3proxy', 'lib', '*'),
      'org.gaul.s3proxy.Main',
      '--properties',
      join(dir, 's3proxy.conf'),
    ],
    {
      detached: true,
      stdio: ['ignore', log, log],
    },
  );
  child.unref();
  writeFileSync(join(dir, 's3proxy.pid'), String(child.pid));
  const s3 = s3Client();
  for (let i = 0; i < 120; i++) {
    try {
      await s3.send(new ListBucketsCommand({}));
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error('S3Proxy did not come back within 60 s');
}
