/**
 * A real outage of a stack component: stop the process (SIGTERM, then SIGKILL), and
 * later start it again with exactly the same command line, so it comes back on the same
 * port with the same data and credentials. The new pid is written where the stack's
 * teardown looks for it (pid file and stack.env), so nothing is left behind.
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';

export interface StoppedProcess {
  argv: string[];
  cwd: string;
  stoppedAt: number;
}

export async function stopProcess(pid: number): Promise<StoppedProcess> {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const cwd = readlinkSync(`/proc/${pid}/cwd`);
  process.kill(pid, 'SIGTERM');
  for (let i = 0; ; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    if (i === 150) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { argv, cwd, stoppedAt: Date.now() };
}

/** Starts the process again `downMs` after it stopped; returns the new pid. */
export async function restartProcess(
  p: StoppedProcess,
  downMs: number,
  opts: { log: string; pidFile?: string; envFile?: { path: string; key: string } },
): Promise<number> {
  const wait = p.stoppedAt + downMs - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const out = openSync(opts.log, 'a');
  const child = spawn(p.argv[0]!, p.argv.slice(1), { cwd: p.cwd, detached: true, stdio: ['ignore', out, out] });
  child.unref();
  const pid = child.pid!;
  if (opts.pidFile) writeFileSync(opts.pidFile, String(pid));
  if (opts.envFile) {
    const text = readFileSync(opts.envFile.path, 'utf8').replace(new RegExp(`^${opts.envFile.key}=.*$`, 'm'), `${opts.envFile.key}=${pid}`);
    writeFileSync(opts.envFile.path, text);
  }
  return pid;
}
