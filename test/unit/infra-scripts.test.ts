/**
 * Issue #13, item 5: the infra scripts run as root (loop devices, QEMU) and must not be
 * talked into deleting or executing something else: VM names are validated before
 * `rm -rf`, env files and script output are read as data (never `eval`/`source`d),
 * the stack's env file (passwords, keys) is private, and the short socket directory for
 * root QEMUs is not a predictable /tmp path.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '#common/paths.js';

const infra = join(packageRoot(), 'infra');
const work = mkdtempSync(join(tmpdir(), 'infra-scripts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs bash with lib.sh sourced and QMPIPE_RUN_DIR = `run`. */
function lib(run: string, script: string) {
  return spawnSync('bash', ['-c', `set -euo pipefail; source "${infra}/lib.sh"; ${script}`], {
    encoding: 'utf8',
    env: { ...process.env, QMPIPE_RUN_DIR: run, QMPIPE_LOG_DIR: join(run, 'logs') },
  });
}

function scripts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? scripts(join(dir, e.name)) : e.name.endsWith('.sh') ? [join(dir, e.name)] : [],
  );
}

describe('infra scripts', () => {
  it('stop-vm.sh refuses a name that is not a VM name before it removes anything', () => {
    const run = join(work, 'run1');
    mkdirSync(join(run, 'vm'), { recursive: true });
    mkdirSync(join(run, 'victim'));
    writeFileSync(join(run, 'victim', 'keep'), 'x');
    const r = spawnSync('bash', [join(infra, 'qemu', 'stop-vm.sh'), '../victim'], { encoding: 'utf8', env: { ...process.env, QMPIPE_RUN_DIR: run } });
    expect(existsSync(join(run, 'victim', 'keep'))).toBe(true);
    expect(r.status).not.toBe(0);
  });

  it('no script evals or sources generated text', () => {
    const offenders = scripts(infra).flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ line: line.trim(), at: `${f.slice(infra.length + 1)}:${i + 1}` }))
        .filter(({ line }) => /^[^#]*\beval\b/.test(line) || /^(source|\.) +"?\$(STACK_ENV|vmdir|\{?[a-z_]*env)/.test(line)),
    );
    expect(offenders.map((o) => `${o.at}: ${o.line}`)).toEqual([]);
  });

  it('env files and script output are read as data: $(…) and spaces stay literal', () => {
    const run = join(work, 'run2');
    mkdirSync(run, { recursive: true });
    const pwned = join(run, 'pwned');
    writeFileSync(join(run, 'vm.env'), `VM_NAME=a b\nVM_LOOP=$(touch ${pwned})\nlower=ignored\n`);
    const r = lib(
      run,
      `load_env "${run}/vm.env"; printf '%s|%s' "$VM_NAME" "$VM_LOOP"; import_vars "GUEST_KERNEL=\\$(touch ${pwned})" GUEST_KERNEL; printf '|%s' "$GUEST_KERNEL"`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`a b|$(touch ${pwned})|$(touch ${pwned})`);
    expect(existsSync(pwned)).toBe(false);
  });

  it('the stack env file is written private (0600)', () => {
    const run = join(work, 'run3');
    mkdirSync(run, { recursive: true });
    const r = lib(run, `printf 'S3_SECRET_KEY=s\\n' | write_private "$STACK_ENV"`);
    expect(r.status).toBe(0);
    expect(statSync(join(run, 'stack.env')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(infra, 'stack.sh'), 'utf8')).toMatch(/write_private "\$STACK_ENV"/);
  });

  it('the short socket directory is random, ours and 0700, and a planted one is refused', () => {
    const run = join(work, 'run4');
    mkdirSync(run, { recursive: true });
    const a = lib(run, 'short_socket_dir');
    expect(a.status).toBe(0);
    const dir = a.stdout.replace(/\/qmp$/, '');
    expect(dir).toMatch(/^\/tmp\/qmpipe-[A-Za-z0-9]{8,}$/);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(lib(run, 'short_socket_dir').stdout).toBe(a.stdout); // one per run dir
    rmSync(dir, { recursive: true, force: true });
    // Someone replaced it with a symlink to their own directory: refused.
    const theirs = mkdtempSync(join(tmpdir(), 'theirs-'));
    symlinkSync(theirs, dir);
    const b = lib(run, 'short_socket_dir');
    expect(b.status).not.toBe(0);
    expect(lstatSync(dir).isSymbolicLink()).toBe(true);
    rmSync(dir, { force: true });
    rmSync(theirs, { recursive: true, force: true });
  });
});
