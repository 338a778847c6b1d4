/**
 * Time per host (issue #23): two real captures as two hosts on one partition, through
 * `qmpipe replay A B --skew 2=…` (the runtimes' partition step, broker timestamps the true
 * time). One host's clock never changes the other's outputs, and a host up to ±5 min off is
 * monitored in full; beyond, its records are dead-lettered and counted and `clock-skew` fires.
 *
 * Before (the partition's clock the latest record time, whatever the host): +2m gave the thin
 * VM a false `stale` and cost it 27 of its 77 rollup rows; +6m dead-lettered the kvm host as
 * CLOCK_AHEAD with no alert; −90 s lost 134 of the kvm VM's 268 rows.
 */
import { captureStdio } from '#test/support/captureStdio.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run as replay } from '#tools/replay/command.js';
import { fixturePath } from '../support/fixtures.js';

const THIN = fixturePath('qmp', 'thin-lv-enospc-commit.jsonl');
const KVM = fixturePath('qmp', 'kvm-vcpu-stats.jsonl');

/** The kvm capture moved onto the thin one's time (2.5 s after it starts), as a second host recording alongside. */
const kvmAlongside = (() => {
  const times = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim());
  const t0 = (file: string) => (JSON.parse(times(file)[0]!) as { t: number }).t;
  const shift = t0(THIN) - t0(KVM) + 2_500;
  const lines = times(KVM).map((l) => {
    const r = JSON.parse(l) as { t: number };
    return JSON.stringify({ ...r, t: r.t + shift });
  });
  const file = join(mkdtempSync(join(tmpdir(), 'qmpipe-fleet-')), 'kvm-alongside.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
})();

const io = captureStdio();

type Line = Record<string, unknown> & { kind: string };

async function lines(argv: string[]): Promise<Line[]> {
  io.stdout = '';
  expect(await replay([...argv, '--emit', 'alerts,rollups,deadletters'])).toBe(0);
  return io.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

/** One host's alert lines in order and its rollup rows sorted, without the `host` key. */
function outputsOf(all: readonly Line[], host?: string) {
  const mine = all.filter((l) => host === undefined || l.host === host).map(({ host: _h, ...l }) => l);
  return {
    alerts: mine.filter((l) => l.kind === 'alert'),
    rollups: mine
      .filter((l) => l.kind === 'rollup')
      .map((l) => JSON.stringify(l))
      .sort(),
  };
}

const fleet = (skew: string) => lines([THIN, kvmAlongside, '--skew', `2=${skew}`]);

describe('two hosts on one partition, the second one’s clock off', () => {
  let thinAlone: ReturnType<typeof outputsOf>;
  let kvmAlone: ReturnType<typeof outputsOf>;
  beforeAll(async () => {
    thinAlone = outputsOf(await lines([THIN]));
    kvmAlone = outputsOf(await lines([kvmAlongside]));
  });

  it('the fixtures are what the cases need: thin alerts, rows of both', () => {
    expect(thinAlone.alerts.length).toBe(18);
    // With its records rows (two minutes, the hour and the day) and state.state, state.reason in each; the day's rows are the hour's again.
    expect(thinAlone.rollups.length).toBe(77 + 3 + 6 + 29);
    expect(kvmAlone.rollups.length).toBe(268 + 2 + 4 + 137); // one minute, the hour and the day
  });

  it.each(['+2m', '+60s', '-90s', '+290s'])('%s: both hosts’ alerts and rollups are those of their replay alone', async (skew) => {
    const run = await fleet(skew);
    expect(run.filter((l) => l.kind === 'deadletter')).toEqual([]);
    expect(outputsOf(run, 'host-1')).toEqual(thinAlone); // no false `stale`, no row lost
    expect(outputsOf(run, 'host-2')).toEqual(kvmAlone); // in true time: same windows, same times
  });

  it.each(['+6m', '-6m'])(
    '%s: the skewed host’s records are dead-lettered and counted, clock-skew fires for it, the other host is unaffected',
    async (skew) => {
      const run = await fleet(skew);
      const letters = run.filter((l) => l.kind === 'deadletter');
      expect(letters).toHaveLength(22);
      expect(new Set(letters.map((l) => `${l.host} ${l.code}`))).toEqual(new Set(['host-2 CLOCK_SKEW']));
      const skewAlerts = run.filter((l) => l.kind === 'alert' && l.type === 'clock-skew');
      expect(skewAlerts.map((a) => [a.host, a.vm, a.state, a.severity, a.value])).toEqual([['host-2', '', 'firing', 'critical', skew === '+6m' ? 360 : -360]]);
      expect(outputsOf(run, 'host-1')).toEqual(thinAlone);
      expect(run.filter((l) => l.host === 'host-2' && l.kind === 'rollup')).toEqual([]);
      const done = JSON.parse(io.stderr.trim().split('\n').at(-1)!) as { msg: string; deadLetters: number; counters: Record<string, number> };
      expect(done).toMatchObject({ msg: 'replay done', deadLetters: 22, counters: { clockSkew: 22, clockAhead: 0 } });
    },
  );
});

describe('qmpipe replay with several transcripts', () => {
  it('names hosts host-1, host-2 or --host, and refuses bad --skew and --host', async () => {
    const run = await lines([THIN, kvmAlongside, '--host', 'a,b']);
    expect(new Set(run.map((l) => l.host))).toEqual(new Set(['a', 'b']));
    expect(await replay([THIN, kvmAlongside, '--skew', '3=+1m'])).toBe(2);
    expect(io.stderr).toMatch(/no transcript 3/);
    expect(await replay([THIN, kvmAlongside, '--skew', '2=1m'])).toBe(2);
    expect(await replay([THIN, kvmAlongside, '--host', 'a'])).toBe(2);
  });

  it('--help documents several transcripts and --skew', async () => {
    expect(await replay(['--help'])).toBe(0);
    expect(io.stdout).toMatch(/--skew I=±DURATION/);
    expect(io.stdout).toMatch(/LogAppendTime/);
  });
});
