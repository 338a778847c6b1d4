/**
 * The Debian package, end to end on this machine: `npm run package` builds it
 * (infra/package/build-deb.sh), `dpkg -i` installs it, `qmpipe --version` runs from
 * /usr/bin, each unit's ExecStart runs with --check as the unit's user with the example
 * configs the package installs, systemd-analyze verifies the installed units, and
 * `dpkg --purge` leaves no file and no user behind. Root only (dpkg -i); skipped, with the
 * reason printed, when not root, without dpkg, or when this machine already has a qmpipe
 * package or user (the test never replaces an installation it did not make).
 * Purged in afterAll whatever happened. Uses none of the stack.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '#common/paths.js';
import { serviceCommand } from '#test/support/systemdUnit.js';

const UNITS = ['qmpipe-agent.service', 'qmpipe-processor.service', 'qmpipe-alerts-forward.service'];
const UNIT_DIR = '/usr/lib/systemd/system';
/** systemd's PATH for services. */
const SERVICE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const root = packageRoot();
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(cmd, args, { encoding: 'utf8', env, cwd: '/' });
}
const has = (cmd: string): boolean => {
  const ok = run('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (!ok) console.log(`[package] ${cmd} is not installed: the checks that need it are skipped`);
  return ok;
};
/** dpkg knows a qmpipe package: installed, or removed with its conffiles left. */
const known = () => run('dpkg-query', ['-W', 'qmpipe']).status === 0;
const userExists = (name: string) => run('getent', ['passwd', name]).status === 0;

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (dpkg -i needs root)';
  for (const cmd of ['dpkg', 'dpkg-deb', 'runuser']) if (!has(cmd)) return `${cmd} is not installed`;
  if (known()) return 'dpkg knows a qmpipe package on this machine already';
  if (userExists('qmpipe')) return 'a user qmpipe exists already (the purge would remove it)';
  return undefined;
}
const skip = whyNot();
if (skip) console.log(`[package] skipping the .deb test: ${skip}`);

describe.skipIf(skip !== undefined)('the qmpipe .deb', () => {
  const out = mkdtempSync(join(tmpdir(), 'qmpipe-deb-'));
  const deb = join(out, `qmpipe_${version}_all.deb`);

  beforeAll(async () => {
    const started = performance.now();
    // Asynchronous: the build takes a minute, and a blocked worker misses vitest's RPC deadline.
    const build = await promisify(execFile)('bash', [join(root, 'infra', 'package', 'build-deb.sh'), '--out', out], { encoding: 'utf8' });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`[package] npm run package: ${seconds} s, ${Math.round(Number(run('stat', ['-c', '%s', deb]).stdout) / 1024)} KiB\n${build.stderr}`);
    expect(build.stdout.trim()).toBe(deb);
    const install = run('dpkg', ['-i', deb]);
    expect(install.status, install.stderr).toBe(0);
  }, 300_000);

  afterAll(() => {
    if (known()) run('dpkg', ['--purge', 'qmpipe']);
    rmSync(out, { recursive: true, force: true });
  });

  it('installs the command, the units, the example configs as conffiles, and the system user', () => {
    for (const unit of UNITS) expect(existsSync(join(UNIT_DIR, unit)), unit).toBe(true);
    expect(readFileSync('/etc/qmpipe/agent.json', 'utf8')).toBe(readFileSync(join(root, 'agent', 'agent.example.json'), 'utf8'));
    expect(readFileSync('/etc/qmpipe/processor.json', 'utf8')).toBe(readFileSync(join(root, 'processor', 'processor.example.json'), 'utf8'));
    expect(run('stat', ['-c', '%a %U', '/etc/qmpipe/alerts-forward.env']).stdout.trim()).toBe('600 root');
    expect(readFileSync('/var/lib/dpkg/info/qmpipe.conffiles', 'utf8').trim().split('\n').sort()).toEqual([
      '/etc/qmpipe/agent.json',
      '/etc/qmpipe/alerts-forward.env',
      '/etc/qmpipe/processor.json',
    ]);
    const user = run('id', ['qmpipe']);
    expect(user.status, user.stderr).toBe(0);
    // kvm and libvirt only where those groups exist on this machine.
    for (const group of ['kvm', 'libvirt']) {
      const exists = run('getent', ['group', group]).status === 0;
      expect(user.stdout.includes(`(${group})`), `qmpipe in ${group}`).toBe(exists);
    }
    expect(existsSync('/usr/lib/qmpipe/node_modules/kafkajs/package.json')).toBe(true);
    expect(existsSync('/usr/lib/qmpipe/node_modules/typescript')).toBe(false);
    expect(existsSync('/usr/lib/qmpipe/node_modules/@duckdb')).toBe(false);
  });

  it('qmpipe --version runs from /usr/bin', () => {
    const res = run('/usr/bin/qmpipe', ['--version']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe(`qmpipe ${version}\n`);
  });

  it.each(UNITS)("%s: ExecStart --check passes as the unit's user with the installed example config", (unit) => {
    const cmd = serviceCommand(readFileSync(join(UNIT_DIR, unit), 'utf8'));
    expect(cmd.argv[0]).toBe('/usr/bin/qmpipe');
    expect(cmd.user).toBe('qmpipe');
    const env = { PATH: SERVICE_PATH, ...Object.fromEntries(cmd.env) };
    const res = run('runuser', ['-u', 'qmpipe', '--', ...cmd.argv, '--check'], env);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/^(config|options) ok\n$/);
    expect(res.status).toBe(0);
  });

  it.skipIf(!has('systemd-analyze'))('the installed units pass systemd-analyze verify', () => {
    const res = run('systemd-analyze', ['verify', ...UNITS.map((u) => join(UNIT_DIR, u))]);
    expect(res.stderr.split('\n').filter((l) => UNITS.some((u) => l.includes(u)))).toEqual([]);
    expect(res.status).toBe(0);
  });

  it('dpkg --purge leaves no file of the package and removes the user', () => {
    // What the agent's StateDirectory would hold after a run: purge removes it too.
    run('install', ['-d', '-o', 'qmpipe', '-g', 'qmpipe', '-m', '0700', '/var/lib/qmpipe/spool']);
    const purge = run('dpkg', ['--purge', 'qmpipe']);
    expect(purge.status, purge.stderr).toBe(0);
    expect(known()).toBe(false);
    for (const path of ['/usr/lib/qmpipe', '/etc/qmpipe', '/var/lib/qmpipe', '/usr/bin/qmpipe', ...UNITS.map((u) => join(UNIT_DIR, u))]) {
      expect(existsSync(path), path).toBe(false);
    }
    expect(userExists('qmpipe')).toBe(false);
    expect(run('getent', ['group', 'qmpipe']).status).not.toBe(0);
    expect(readdirSync('/var/lib/dpkg/info').filter((f) => f.startsWith('qmpipe.'))).toEqual([]);
  });
});
