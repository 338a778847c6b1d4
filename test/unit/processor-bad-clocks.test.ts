/**
 * One wrong clock must not silence a partition (issue #14 item 1). The agent stamps
 * records with its host's wall clock:
 * - one poll of the thin-LV capture stamped a day ahead (test/fixtures/tools/inject_skew.py)
 *   is refused and dead-lettered; every alert of the capture still fires (t within 2 s);
 * - a VM whose host runs a day ahead, on the partition of another: the other's alerts and
 *   rollups are those of a run without it;
 * - a host 30 s behind still lands in its rollup windows.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCore } from '#processor/core/step.js';
import { initialState } from '#processor/core/state/state.js';
import { flushPartition, initialPartitionState, type InputMessage, type PartitionOutputs, processBatch } from '#processor/partition/partitionStep.js';
import { decodeRaw, encodeRaw } from '#schemas/codecs/raw.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import type { Alert } from '#schemas/outputs.js';
import type { RawRecord } from '#schemas/types.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { fixturePath } from '../support/fixtures.js';

const THIN = fixturePath('qmp', 'thin-lv-enospc-commit.jsonl');
const KVM = fixturePath('qmp', 'kvm-vcpu-stats.jsonl');
const DAY = 86_400_000;
const python = (() => {
  try {
    execFileSync('python3', ['--version']);
    return null;
  } catch (err) {
    return `python3 is not installed (${(err as Error).message}); the skewed variant is made by test/fixtures/tools/inject_skew.py`;
  }
})();
if (python) console.log(`[bad-clocks] skipping the skewed-poll replay: ${python}`);

/** Line ranges (1-based) of the transcript's polls: lines less than 300 ms apart. */
function polls(path: string): Array<[number, number]> {
  const ts = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { t: number }).t);
  const out: Array<[number, number]> = [];
  let from = 1;
  for (let i = 1; i < ts.length; i++) {
    if (ts[i]! - ts[i - 1]! > 300) {
      out.push([from, i]);
      from = i + 1;
    }
  }
  out.push([from, ts.length]);
  return out;
}

function skewed(from: number, to: number): string {
  const out = join(mkdtempSync(join(tmpdir(), 'qmpipe-skew-')), 'skewed.jsonl');
  execFileSync('python3', [fixturePath('tools', 'inject_skew.py'), THIN, out, String(from), String(to)]);
  return out;
}

const messagesOf = (records: readonly RawRecord[]): InputMessage[] =>
  records.map((r, i) => ({ offset: i, timestamp: r.t, key: Buffer.from(r.vm.uuid), value: encodeRaw(r) }));

/** Both runtimes' partition step over the records, one batch, then the end-of-input flush. */
function partitionRun(records: readonly RawRecord[]): PartitionOutputs & { state: ReturnType<typeof initialPartitionState> } {
  const env = { core: createCore(defaultProcessorConfig()), decode: decodeRaw, allowedLatenessMs: 10_000 };
  const { state, outputs } = processBatch(initialPartitionState('raw', 0), messagesOf(records), env);
  outputs.windows.push(...flushPartition(state, env));
  return { ...outputs, state };
}

function expectSameAlerts(got: readonly Alert[], want: readonly Alert[], toleranceMs: number): void {
  const shape = (a: Alert) => `${a.labels.vm} ${a.type} ${a.state} ${a.severity} ${a.labels.device}[${a.labels.backingIndex ?? ''}] ${a.labels.node}`;
  expect(got.map(shape)).toEqual(want.map(shape));
  for (const [i, a] of got.entries()) expect(Math.abs(a.t - want[i]!.t), shape(a)).toBeLessThanOrEqual(toleranceMs);
}

const rowsOf = (out: PartitionOutputs, vm: string) =>
  out.windows
    .flatMap((w) => w.rows)
    .filter((r) => r.vm === vm)
    .sort((a, b) => a.windowStart - b.windowStart || a.resolutionMs - b.resolutionMs || (a.series < b.series ? -1 : a.series > b.series ? 1 : 0));

describe.skipIf(python !== null)('one poll of the thin-LV capture stamped a day ahead', () => {
  const original = transcriptRecords(THIN).records;
  const all = polls(THIN);
  it.each([5, 20, 35])('poll %i: refused, dead-lettered, and every alert of the capture still fires (t within 2 s)', (k) => {
    const [from, to] = all[k]!;
    const records = transcriptRecords(skewed(from, to)).records;
    const ahead = records.filter((r, i) => r.t - original[i]!.t > DAY / 2).length;
    expect(ahead).toBeGreaterThan(0);
    // The replay path (`qmpipe replay`): the core alone.
    const core = createCore(defaultProcessorConfig());
    const state = initialState();
    const alerts = core.step(state, records).outputs.alerts;
    const want = createCore(defaultProcessorConfig()).step(initialState(), original).outputs.alerts;
    expectSameAlerts(alerts, want, 2_000);
    expect(state.counters.clockAhead).toBe(ahead);
    expect(state.counters.evictedVms).toBe(0);
    // The runtimes' partition step: the refused records are dead letters, with their reason.
    const run = partitionRun(records);
    expectSameAlerts(run.alerts, partitionRun(original).alerts, 2_000);
    expect(run.deadLetters.map((d) => d.code)).toEqual(Array(ahead).fill('CLOCK_AHEAD'));
    expect(run.deadLetters[0]!.reason).toMatch(/8640\d\.\d s ahead of the partition's clock/);
  });
});

describe('two hosts on one partition', () => {
  const thin = transcriptRecords(THIN, { host: 'h1' }).records;
  const kvm = transcriptRecords(KVM, { host: 'h2' }).records;
  /** The kvm VM moved onto the thin one's time, its host's clock `skewMs` off: records arrive in real-time order. */
  function together(skewMs: number, kvmFirst = false): RawRecord[] {
    const shift = thin[0]!.t - kvm[0]!.t + (kvmFirst ? -500 : 2_500);
    const arriving = [...thin.map((r) => ({ r, at: r.t })), ...kvm.map((r) => ({ r: { ...r, t: r.t + shift + skewMs }, at: r.t + shift }))];
    return arriving.sort((a, b) => a.at - b.at).map((x) => x.r);
  }
  const alone = partitionRun(thin);

  it('the other host a day ahead: refused, and the thin VM’s alerts and rollups are those of a run without it', () => {
    const run = partitionRun(together(DAY));
    expect(run.alerts).toEqual(alone.alerts);
    expect(rowsOf(run, 'cap-thin')).toEqual(rowsOf(alone, 'cap-thin'));
    expect(run.deadLetters).toHaveLength(kvm.length);
    expect(new Set(run.deadLetters.map((d) => d.code))).toEqual(new Set(['CLOCK_AHEAD']));
    expect(run.state.core.counters.evictedVms).toBe(0);
    expect(run.state.rollups.late + run.state.core.counters.clockBehind).toBe(0);
  });

  it('known limit: a fresh partition whose very first record is a day ahead runs by that clock; the other VM’s alerts are unharmed, its rollup rows come late (counted)', () => {
    const run = partitionRun(together(DAY, true));
    expect(run.alerts.filter((a) => a.labels.vm === 'cap-thin')).toEqual(alone.alerts);
    expect(run.state.core.counters.evictedVms).toBe(0);
    expect(run.state.rollups.late + run.state.core.counters.clockBehind).toBeGreaterThan(0);
  });

  it('the other host 30 s behind: its rows land in their windows, none late', () => {
    const kvmAlone = partitionRun(together(-30_000).filter((r) => r.vm.host === 'h2'));
    const run = partitionRun(together(-30_000));
    expect(run.deadLetters).toEqual([]);
    expect(run.state.rollups.late).toBe(0);
    const kvmName = kvm[0]!.vm.name;
    expect(rowsOf(run, kvmName).length).toBeGreaterThan(10);
    expect(rowsOf(run, kvmName)).toEqual(rowsOf(kvmAlone, kvmName));
    expect(run.alerts.filter((a) => a.labels.vm === kvmName)).toEqual(kvmAlone.alerts); // no `stale` from running behind
    expect(rowsOf(run, 'cap-thin')).toEqual(rowsOf(alone, 'cap-thin'));
    expect(run.alerts.filter((a) => a.labels.vm === 'cap-thin')).toEqual(alone.alerts);
  });
});
