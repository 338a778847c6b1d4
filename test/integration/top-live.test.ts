/**
 * `qmpipe top` against a real test VM (infra/qemu), as a person uses it (bin/qmpipe.mjs,
 * so run `npm run build` first):
 *  - before the guest writes: `--socket --once --json` has the chain rows `qmpipe domstats
 *    --socket --backing` prints, and the query-stats `qmpipe stats --socket --json` prints
 *    (the same stats, schema and instances; values move between the two reads);
 *  - the live screen in a real terminal (tmux): it starts and shows the VM's row with the
 *    guest's write rate, `s` sorts by the next column, Enter drills into the VM (chain
 *    element with node, file and bar), Esc goes back, `q` quits and restores the terminal.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until as pollUntil } from './helpers/until.js';
import { parseDomstats } from '#tools/domstats/domstats.js';
import type { Frame } from '#top/model/frame.js';
import type { StatLine } from '#tools/stats/statLines.js';
import { startTestVm, type TestVm } from './helpers/index.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'qmpipe.mjs');
const session = `qmpipe-top-it-${process.pid}`;
// A private tmux server (-L, no user config): the test never joins or depends on a server
// that something else on the machine runs, and killing it at the end touches nothing else.
const server = `qmpipe-top-it-${process.pid}`;
const { TMUX: _outerTmux, ...tmuxEnv } = process.env;
// top's exit status, written by the pane's shell when top exits: tmux's own
// #{pane_dead_status} is sometimes never filled in (tmux marks the pane dead on the pty's
// EOF, and on this tmux the child's status can be lost after that), which made the test
// wait forever for a top that had exited.
const tmp = mkdtempSync(join(tmpdir(), 'qmpipe-top-it-'));
const statusFile = join(tmp, 'exit-status');

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', server, '-f', '/dev/null', ...args], { encoding: 'utf8', env: tmuxEnv });
}

function screen(): string {
  return tmux('capture-pane', '-p', '-t', session);
}

const until = async (what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> =>
  void (await pollUntil(() => `${what}; screen:\n${screen()}`, probe, timeoutMs));

let vm: TestVm;

beforeAll(async () => {
  // 4 MiB/s into a 256 MiB qcow2 on a 512 MiB device (never full), after 10 s of quiet for the --once comparison.
  vm = await startTestVm({ rateMiBps: 4, seconds: 120, delaySeconds: 10, diskMiB: 256, backingMiB: 512 });
}, 180_000);

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {}
  rmSync(tmp, { recursive: true, force: true });
  await vm?.stop();
});

describe('qmpipe top --socket', () => {
  it('--once --json has the chain rows of qmpipe domstats --socket --backing (before the guest writes)', async () => {
    const ds = parseDomstats((await run(process.execPath, [bin, 'domstats', '--socket', vm.qmpAgent, '--backing'])).stdout);
    const { stdout } = await run(process.execPath, [bin, 'top', '--socket', vm.qmpAgent, '--once', '--json']);
    const frame = JSON.parse(stdout) as Frame;
    expect(frame.vms).toHaveLength(1);
    const v = frame.vms[0]!;
    expect(v.vm).toBe(vm.name);
    expect(v.state).toBe('running');
    const rows = v.disks.flatMap((d) =>
      d.chain.map((e) => ({
        name: d.device,
        backingIndex: e.backingIndex,
        path: e.filename,
        allocation: e.allocation,
        capacity: e.capacity,
        physical: e.physical,
      })),
    );
    const want = Array.from({ length: Number(ds['block.count']) }, (_, i) => ({
      name: ds[`block.${i}.name`],
      backingIndex: Number(ds[`block.${i}.backingIndex`]),
      path: ds[`block.${i}.path`],
      allocation: Number(ds[`block.${i}.allocation`]),
      capacity: Number(ds[`block.${i}.capacity`]),
      physical: Number(ds[`block.${i}.physical`]),
    }));
    expect(rows).toEqual(want);
    expect(v.writeBytesPerSecond).not.toBeNull(); // a rate interval was seen
    const { stdout: statsOut } = await run(process.execPath, [bin, 'stats', '--socket', vm.qmpAgent, '--json']);
    const key = (l: StatLine) => [l.target, l.provider, l.instance, l.name, l.type, l.unit, l.base, l.exponent].join(' ');
    const wantStats = statsOut
      .split('\n')
      .filter(Boolean)
      .map((l) => key(JSON.parse(l) as StatLine));
    if (vm.accel === 'kvm') {
      expect(wantStats.length).toBeGreaterThan(50);
      expect(v.queryStats.lines?.map(key)).toEqual(wantStats);
    } else {
      expect(wantStats).toEqual([]); // TCG: no kvm provider, no stats
      expect(v.queryStats).toMatchObject({ lines: null, note: expect.stringContaining('no query-stats') });
    }
  }, 60_000);

  it('the live screen: start, sort, drill in, back, quit', async () => {
    tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50');
    tmux('set-option', '-t', session, 'remain-on-exit', 'on');
    tmux('respawn-pane', '-k', '-t', session, `${process.execPath} ${bin} top --socket ${vm.qmpAgent}; echo "exit=$?" > ${statusFile}`);
    const row = () =>
      screen()
        .split('\n')
        .find((l) => l.startsWith('> ') && l.includes(vm.name)) ?? '';
    await until('the VM row with the guest writing', () => /[1-9][\d.]* MiB\/s/.test(row()), 60_000);
    expect(screen()).toMatch(/qmpipe top · .* · 1\/1 VMs · \d+ firing · sort fill ↓/);
    expect(row()).toMatch(new RegExp(`^> \\S+ +${vm.name} +running `));
    tmux('send-keys', '-t', session, 's');
    await until('sort by write', () => screen().includes('sort write ↓'));
    tmux('send-keys', '-t', session, 'Enter');
    await until('the drill-down', () => screen().includes(`VM ${vm.name}  host`));
    const drill = screen();
    expect(drill).toMatch(/DISKS \(1\)/);
    expect(drill).toMatch(/ {4}\[0\] \S+ +\[[#.]+\] +\d+% [\d.]+\/[\d.]+ MiB/);
    expect(drill).toContain('RECENT QMP EVENTS');
    tmux('send-keys', '-t', session, 'PageDown', 'PageDown', 'PageDown');
    await until('the query-stats section', () => screen().includes('QUERY-STATS (the latest replies, as qmpipe stats prints them)'));
    if (vm.accel === 'kvm') await until('a vCPU of the query-stats', () => /vcpu \/machine\/\S+ \(cpu 0, provider: kvm\)/.test(screen()));
    tmux('send-keys', '-t', session, 'Escape');
    await until('the list again', () => row() !== '' && screen().includes('Enter drill in'));
    tmux('send-keys', '-t', session, 'q');
    // Stopping closes the poller and its QMP connection: allow a loaded machine its time.
    await until('top to exit', () => existsSync(statusFile) && readFileSync(statusFile, 'utf8').trim() !== '', 90_000);
    expect(readFileSync(statusFile, 'utf8').trim()).toBe('exit=0');
    expect(screen()).not.toContain('qmpipe top ·'); // the alternate screen is gone: the terminal is restored
  }, 120_000);
});
