/**
 * What the integration tests need to call infra/ scripts: the environment that points them
 * at this run's stack (run, log and QMP dirs), and Debian binaries installed on demand
 * through infra/deps.sh.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stack } from './stack.js';

const root = join(import.meta.dirname, '..', '..', '..');

/** The process environment with this run's QMPIPE_RUN_DIR, QMPIPE_LOG_DIR and QMPIPE_QMP_DIR, plus `extra`. */
export function infraEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const s = stack();
  return { ...process.env, QMPIPE_RUN_DIR: s.runDir, QMPIPE_LOG_DIR: s.logDir, QMPIPE_QMP_DIR: s.qmpDir, ...extra };
}

/** Whether `bins` are there, after installing Debian's `pkg` (infra/deps.sh apt) when one is missing; else why not. */
export function debianBinaries(bins: readonly string[], pkg: string): { ok: boolean; reason: string } {
  const missing = () => bins.filter((b) => !existsSync(b));
  if (missing().length === 0) return { ok: true, reason: '' };
  try {
    execFileSync('bash', [join(root, 'infra/deps.sh'), 'apt'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    return { ok: false, reason: `infra/deps.sh apt failed: ${(err as { stderr?: Buffer }).stderr?.toString().trim()}` };
  }
  const still = missing();
  return still.length === 0
    ? { ok: true, reason: '' }
    : { ok: false, reason: `${still.join(', ')} missing and Debian's ${pkg} could not be installed (not root?)` };
}
