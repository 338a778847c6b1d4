/**
 * The demo's operator (demo/src/operator.ts): the same sequence of operator commands
 * as the recorded fixture thin-lv-enospc-commit.jsonl, driven by the events QEMU sends.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import { decide, defaultOperatorConfig, initialOperator, type OperatorAction, type OperatorInput, type OperatorState } from '#demo/operator.js';

const cfg = { ...defaultOperatorConfig, overlayPath: '/run/vm/top.qcow2' };

function drive(inputs: OperatorInput[]): { state: OperatorState; log: Array<[number, OperatorAction]> } {
  let state = initialOperator(cfg, 0);
  const log: Array<[number, OperatorAction]> = [];
  for (const i of inputs) {
    const r = decide(cfg, state, i);
    state = r.state;
    for (const a of r.actions) log.push([i.now, a]);
  }
  return { state, log };
}

const ev = (now: number, event: string, data: Record<string, unknown> = {}): OperatorInput => ({ kind: 'event', now, event, data });
const ticks = (from: number, to: number): OperatorInput[] =>
  Array.from({ length: Math.floor((to - from) / 250) + 1 }, (_, i) => ({ kind: 'tick', now: from + i * 250 }));
const nonNotes = (log: Array<[number, OperatorAction]>) => log.filter(([, a]) => a.kind !== 'note');

/** Operator commands (not queries) of the fixture, in order, without ids. */
function fixtureCommands(): Array<{ execute: string; arguments?: Record<string, unknown> }> {
  return readFileSync(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { dir: string; msg: { execute?: string; arguments?: Record<string, unknown> } })
    .filter((l) => l.dir === 'out' && l.msg.execute && !/^(query-|qmp_capabilities|quit)/.test(l.msg.execute))
    .map((l) => ({ execute: l.msg.execute!, ...(l.msg.arguments ? { arguments: l.msg.arguments } : {}) }));
}

describe('operator', () => {
  const enospc = ev(12_000, 'BLOCK_IO_ERROR', { nospace: true, 'node-name': 'lv0-format', action: 'stop' });
  const run = drive([
    ...ticks(0, 11_750),
    enospc,
    enospc,
    ev(12_001, 'STOP'),
    ...ticks(12_250, 30_000),
    ev(30_100, 'BLOCK_WRITE_THRESHOLD', { 'node-name': 'lv0-storage' }),
    ev(34_000, 'BLOCK_JOB_ERROR', { device: 'commit0', operation: 'write', action: 'report' }),
    ev(34_001, 'BLOCK_JOB_ERROR', { device: 'commit0', operation: 'write', action: 'report' }),
    ...ticks(34_250, 40_000),
    ev(50_000, 'BLOCK_JOB_READY', { device: 'commit0' }),
    ev(51_000, 'BLOCK_JOB_COMPLETED', { device: 'commit0', len: 1, offset: 1 }),
    ...ticks(51_250, 60_000),
  ]);

  it("sends the fixture's commands in the fixture's order (cont, snapshot, threshold, commit), then completes the job", () => {
    const sent = nonNotes(run.log).flatMap(([, a]) => (a.kind === 'qmp' ? [{ execute: a.execute, ...(a.arguments ? { arguments: a.arguments } : {}) }] : []));
    const want = fixtureCommands().filter((c) => c.execute !== 'block-job-complete');
    want[1]!.arguments!.filename = cfg.overlayPath;
    const threshold = sent.find((c) => c.execute === 'block-set-write-threshold')!;
    expect(threshold.arguments).toEqual({ 'node-name': 'lv0-storage', 'write-threshold': 159383552 });
    expect(sent.slice(0, want.length)).toEqual(want);
    expect(sent.slice(want.length)).toEqual([{ execute: 'block-job-complete', arguments: { device: 'commit0' } }]);
  });

  it('holds the pause, grows before cont, snapshots and commits on schedule, grows the base after a job error', () => {
    expect(nonNotes(run.log).map(([t, a]) => `${t} ${a.kind === 'qmp' ? a.execute : a.kind === 'grow' ? `grow ${a.toMiB}` : a.kind}`)).toEqual([
      '15000 grow 160',
      '15000 cont',
      '19000 create-overlay',
      '19000 blockdev-add',
      '19000 blockdev-add',
      '19000 blockdev-snapshot',
      '19000 block-set-write-threshold',
      '27000 block-commit',
      '37000 grow 288',
      '50000 block-job-complete',
      '57000 finish',
    ]);
    expect(run.state.phase).toBe('finished');
  });

  it('narrates each step', () => {
    const notes = run.log.flatMap(([, a]) => (a.kind === 'note' ? [a.text] : []));
    expect(notes[0]).toBe('guest paused: ENOSPC on lv0-format at 96 MiB; extending the volume in 3 s');
    expect(notes).toContain('grew the volume 96 → 160 MiB and sent cont');
    expect(notes).toContain('commit0 completed: the base is the active layer again');
  });

  it('treats STOP with status io-error like BLOCK_IO_ERROR nospace', () => {
    const r = drive([ev(1_000, 'STOP', { status: 'io-error' }), ...ticks(1_250, 4_000)]);
    expect(nonNotes(r.log).map(([, a]) => a.kind)).toEqual(['grow', 'qmp']);
  });

  it('snapshots anyway when no ENOSPC comes (file-backed disk)', () => {
    const r = drive(ticks(0, cfg.noEnospcAfterMs));
    expect(r.state.phase).toBe('snapshotted');
  });

  it('cancels a job that does not get ready after the base grew, and finishes after the tail', () => {
    const r = drive([
      ...ticks(0, 11_750),
      enospc,
      ...ticks(12_000, 27_000),
      ev(30_000, 'BLOCK_JOB_ERROR', { device: 'commit0' }),
      ...ticks(30_250, 33_000 + cfg.readyTimeoutMs),
      ev(70_000, 'BLOCK_JOB_CANCELLED', { device: 'commit0' }),
      ...ticks(70_250, 77_000),
    ]);
    const kinds = nonNotes(r.log).map(([, a]) => (a.kind === 'qmp' ? a.execute : a.kind));
    expect(kinds.slice(-3)).toEqual(['grow', 'block-job-cancel', 'finish']);
    expect(r.state.phase).toBe('finished');
  });

  it('starts the commit again on the grown base when the job failed (on-error=report), and completes it', () => {
    const r = drive([
      ...ticks(0, 11_750),
      enospc,
      ...ticks(12_000, 27_000),
      ev(30_000, 'BLOCK_JOB_ERROR', { device: 'commit0' }),
      ...ticks(30_250, 33_000),
      ev(33_500, 'BLOCK_JOB_COMPLETED', { device: 'commit0', error: 'No space left on device' }),
      ...ticks(33_750, 34_000),
      ev(40_000, 'BLOCK_JOB_READY', { device: 'commit0' }),
      ev(40_100, 'BLOCK_JOB_COMPLETED', { device: 'commit0' }),
      ...ticks(40_250, 47_000),
    ]);
    const steps = nonNotes(r.log).map(
      ([t, a]) =>
        `${t} ${a.kind === 'qmp' ? `${a.execute}${a.execute === 'block-commit' ? ` ${String(a.arguments!.speed)}` : ''}` : a.kind === 'grow' ? `grow ${a.toMiB}` : a.kind}`,
    );
    expect(steps.slice(-5)).toEqual([
      '27000 block-commit 4194304',
      '33000 grow 288',
      '33750 block-commit 16777216',
      '40000 block-job-complete',
      '46250 finish',
    ]);
    expect(
      r.log
        .map(([, a]) => a)
        .filter((a) => a.kind === 'note')
        .map((a) => (a as { text: string }).text),
    ).toContain('commit0 failed: No space left on device; it is started again once the base has grown');
  });

  it('cancels when the retried commit fails again', () => {
    const r = drive([
      ...ticks(0, 11_750),
      enospc,
      ...ticks(12_000, 27_000),
      ev(30_000, 'BLOCK_JOB_ERROR', { device: 'commit0' }),
      ev(30_500, 'BLOCK_JOB_COMPLETED', { device: 'commit0', error: 'ENOSPC' }),
      ...ticks(30_750, 33_500),
      ev(35_000, 'BLOCK_JOB_ERROR', { device: 'commit0' }),
    ]);
    expect(
      nonNotes(r.log)
        .map(([, a]) => (a.kind === 'qmp' ? a.execute : a.kind))
        .slice(-3),
    ).toEqual(['grow', 'block-commit', 'block-job-cancel']);
  });

  it("ignores other jobs' events and events after it finished", () => {
    const r = drive([ev(1, 'BLOCK_JOB_READY', { device: 'backup1' }), ev(2, 'BLOCK_JOB_COMPLETED', { device: 'backup1' })]);
    expect(r.log).toEqual([]);
    expect(r.state.phase).toBe('filling');
  });
});
