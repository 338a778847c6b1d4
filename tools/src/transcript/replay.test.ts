import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { QmpEvent, RawRecord, Sample } from '#schemas/types.js';
import { fixtureLines, fixturePath } from '#test/support/fixtures.js';
import { replayFile, replayLines, replayStream, TranscriptError, type ReplayStats } from './replay.js';
import { ticksOf } from './segmenter.js';

const THIN = ['qmp', 'thin-lv-enospc-commit.jsonl'] as const;

function drain(gen: Generator<RawRecord, ReplayStats>): { records: RawRecord[]; stats: ReplayStats } {
  const records: RawRecord[] = [];
  for (let r = gen.next(); ; r = gen.next()) {
    if (r.done) return { records, stats: r.value };
    records.push(r.value);
  }
}

const samples = (rs: RawRecord[]): Sample[] => rs.flatMap((r) => (r.body.kind === 'Sample' ? [r.body.value] : []));
const events = (rs: RawRecord[]): QmpEvent[] => rs.flatMap((r) => (r.body.kind === 'QmpEvent' ? [r.body.value] : []));

describe('replay of thin-lv-enospc-commit.jsonl', () => {
  const { records, stats } = replayFile(fixturePath(...THIN), { host: 'h1' });

  it('segments 41 ticks like the live poller and counts the operator commands', () => {
    // 41 device-mode query-blockstats; cont, blockdev-add ×2, blockdev-snapshot,
    // block-set-write-threshold, block-commit, block-job-complete, quit + qmp_capabilities.
    expect(stats).toEqual({ lines: 756, malformed: 0, ignoredCommands: 9, ticks: 41, events: 23 });
    expect(samples(records)).toHaveLength(41);
  });

  it('numbers records 1..n and stamps the identity from the startup replies', () => {
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    expect(records[0]!.vm).toMatchObject({ host: 'h1', uuid: 'name:cap-thin', name: 'cap-thin', qemuVersion: '7.2.22' });
    expect(new Set(records.map((r) => r.vm.instanceId)).size).toBe(1);
  });

  it('times a Sample at its device-mode query-blockstats reply', () => {
    const firstSample = records.find((r) => r.body.kind === 'Sample')!;
    expect(firstSample.t).toBe(1795311980799); // line 21 of the transcript
  });

  it('places events at their position: the ENOSPC pause before its tick, RESUME after it', () => {
    const kinds = records.map((r) => (r.body.kind === 'QmpEvent' ? r.body.value.event : r.body.kind === 'Sample' ? `S:${r.body.value.status}` : r.body.kind));
    const i = kinds.indexOf('BLOCK_IO_ERROR');
    expect(kinds.slice(i - 1, i + 6)).toEqual(['S:running', 'BLOCK_IO_ERROR', 'BLOCK_IO_ERROR', 'STOP', 'S:io-error', 'RESUME', 'S:running']);
    const wt = kinds.indexOf('BLOCK_WRITE_THRESHOLD');
    expect(kinds[wt + 1]).toBe('S:running');
  });

  it('records the events in order with their QEMU timestamps', () => {
    const evs = events(records);
    const pick = (name: string) => evs.filter((e) => e.event === name);
    expect(pick('BLOCK_IO_ERROR').map((e) => e.qemuTimeUs)).toEqual([1795311998881424, 1795311998881506]);
    expect(pick('STOP').map((e) => e.qemuTimeUs)).toEqual([1795311998881651]);
    expect(pick('RESUME').map((e) => e.qemuTimeUs)).toEqual([1795311999124420]);
    expect(pick('BLOCK_WRITE_THRESHOLD')[0]).toEqual({
      event: 'BLOCK_WRITE_THRESHOLD',
      qemuTimeUs: 1795312015235770,
      data: JSON.stringify({ 'node-name': 'lv0-storage', 'write-threshold': 159383552, 'amount-exceeded': 327680 }),
    });
    expect(pick('BLOCK_JOB_ERROR')).toHaveLength(9);
    const order = ['BLOCK_IO_ERROR', 'STOP', 'RESUME', 'BLOCK_WRITE_THRESHOLD', 'BLOCK_JOB_ERROR', 'SHUTDOWN'].map((n) => evs.findIndex((e) => e.event === n));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(evs.map((e) => e.qemuTimeUs)).toEqual([...evs.map((e) => e.qemuTimeUs)].sort((a, b) => a - b));
    expect(JSON.parse(pick('STOP')[0]!.data)).toEqual({});
  });

  it('publishes no stats schema snapshot under TCG (query-stats is [])', () => {
    expect(records.some((r) => r.body.kind === 'StatsSchemaSnapshot')).toBe(false);
    expect(samples(records).every((s) => s.stats === null && s.errors.length === 0)).toBe(true);
  });

  it('streams the same records from a Readable', async () => {
    const input = Readable.from(fixtureLines(...THIN).map((l) => `${l}\n`));
    const streamed: RawRecord[] = [];
    const gen = replayStream(input, { host: 'h1' });
    for (let r = await gen.next(); ; r = await gen.next()) {
      if (r.done) {
        expect(r.value).toEqual(stats);
        break;
      }
      streamed.push(r.value);
    }
    expect(streamed).toEqual(records);
  });
});

describe('replay cut (until)', () => {
  const lines = fixtureLines(...THIN);

  it('ends at the last tick with t <= until, with that tick’s late replies', () => {
    // Tick 19 (the io-error one): blockstats reply at ...98917; its query-block and
    // query-named-block-nodes are sent and answered at ...98918-98919, after the cut.
    const { records, stats } = drain(replayLines(lines, { until: 1795311998917 }));
    const last = samples(records).at(-1)!;
    expect(stats.ticks).toBe(19);
    expect(last.status).toBe('io-error');
    expect(last.slowRefresh).toBe(true);
    expect(last.blockDevices[0]!.ioStatus).toBe('nospace');
    expect(events(records).map((e) => e.event)).toEqual(['BLOCK_IO_ERROR', 'BLOCK_IO_ERROR', 'STOP']);
  });

  it('drops a tick whose blockstats reply came after the cut', () => {
    expect(drain(replayLines(lines, { until: 1795311998916 })).stats.ticks).toBe(18);
  });
});

describe('replay of garbage', () => {
  const good = fixtureLines(...THIN).slice(0, 40);

  it('counts non-JSON, wrong-shape and truncated lines as malformed and skips them', () => {
    const garbage = [
      'not json',
      '{"t": 1, "dir": "sideways", "msg": {}}',
      '[1,2]',
      '{"t": "x", "dir": "in", "msg": {}}',
      '{"t": 5, "dir": "in", "msg": {"what": 1}}',
    ];
    const truncated = good[20]!.slice(0, 57);
    const { records, stats } = drain(replayLines([...good.slice(0, 10), ...garbage, '', ...good.slice(10), truncated]));
    expect(stats.malformed).toBe(garbage.length + 1);
    expect(stats.lines).toBe(good.length + garbage.length + 1); // the blank line is not counted
    expect(samples(records).length).toBe(stats.ticks);
    expect(stats.ticks).toBe(2);
  });

  it('throws a TranscriptError for input without a single transcript line', () => {
    const run = (lines: string[]) => () => drain(replayLines(lines));
    expect(run(['{"hello": "world"}', 'garbage', '{"t":1,"dir":"out","msg":{"no":"execute"}}'])).toThrow(TranscriptError);
    expect(run([])).toThrow(/not a QMP transcript/);
    try {
      replayFile(fixturePath('libvirt', 'README.md'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TranscriptError);
      expect((e as TranscriptError).code).toBe('REPLAY_NOT_A_TRANSCRIPT');
    }
  });
});

describe('replay across connections (synthetic transcript)', () => {
  const L = (t: number, dir: string, msg: unknown) => JSON.stringify({ t, dir, msg });
  const greeting = { QMP: { version: { qemu: { major: 9, minor: 2, micro: 0 }, package: '' }, capabilities: [] } };
  const poll = (t: number, id: string, threads: number[]) => [
    L(t, 'out', { execute: 'query-cpus-fast', id: `${id}c` }),
    L(t, 'in', { return: threads.map((x) => ({ 'thread-id': x })), id: `${id}c` }),
    L(t, 'out', { execute: 'query-status', id: `${id}s` }),
    L(t, 'in', { return: { status: 'running', running: true }, id: `${id}s` }),
    L(t + 1, 'out', { execute: 'query-blockstats', id: `${id}b` }),
    L(t + 2, 'in', { return: [], id: `${id}b` }),
  ];
  const ev = (t: number, event: string) => L(t, 'in', { event, timestamp: { seconds: t, microseconds: 0 } });

  it('stamps startup events with the identity found later, and starts a new instance on reconnect', () => {
    const lines = [
      L(100, 'in', greeting),
      ev(101, 'RESUME'),
      ...poll(102, 'a', [11, 12]),
      L(200, 'in', greeting),
      ...poll(202, 'b', [21, 22]),
      ev(205, 'SHUTDOWN'),
    ];
    const { records, stats } = drain(replayLines(lines));
    expect(stats).toEqual({ lines: 16, malformed: 0, ignoredCommands: 0, ticks: 2, events: 2 });
    expect(records.map((r) => `${r.seq}:${r.body.kind}:${r.t}`)).toEqual(['1:QmpEvent:101', '2:Sample:104', '3:Sample:204', '4:QmpEvent:205']);
    expect(records[0]!.vm).toEqual(records[1]!.vm);
    expect(records[2]!.vm.instanceId).not.toBe(records[1]!.vm.instanceId);
    expect(records[2]!.vm).toEqual(records[3]!.vm);
    expect(records[0]!.vm).toMatchObject({ qemuVersion: '9.2.0', uuid: 'name:unknown' });
  });

  it('a reconnect to the same process keeps the instance id; the qemu-process host line tells a restart that reused the thread ids', () => {
    const bootId = 'b0071d00-0000-4000-8000-000000000001';
    const proc = (t: number, start: number) => L(t, 'host', { 'qemu-process': { 'thread-id': 11, 'start-time': start, 'boot-id': bootId } });
    const conn = (t: number, id: string, start: number | null) => [
      L(t, 'in', greeting),
      ...(start === null ? [] : [proc(t, start)]),
      ...poll(t + 2, id, [11, 12]),
    ];
    const ids = (lines: string[]) => drain(replayLines(lines)).records.map((r) => r.vm.instanceId);
    const [a, b] = ids([...conn(100, 'a', null), ...conn(200, 'b', null)]);
    expect(b).toBe(a); // thread ids alone: the same process
    const [c, d] = ids([...conn(100, 'a', 500), ...conn(200, 'b', 500)]);
    expect(d).toBe(c);
    expect(c).not.toBe(a);
    const [e, f] = ids([...conn(100, 'a', 500), ...conn(200, 'b', 900)]);
    expect(f).not.toBe(e); // same thread ids, later start time: QEMU restarted
  });

  it('ticks that read no status (status from events, tickPlan.ts) are still ticks, with the last status read', () => {
    const quiet = (t: number, id: string) => [
      L(t, 'out', { execute: 'query-stats', arguments: { target: 'vm' }, id: `${id}v` }),
      L(t, 'out', { execute: 'query-blockstats', id: `${id}b` }),
      L(t + 1, 'in', { return: [], id: `${id}v` }),
      L(t + 2, 'in', { return: [], id: `${id}b` }),
    ];
    const lines = [L(1, 'in', greeting), ...poll(2, 'a', [11]), ...quiet(10, 'q1'), ...quiet(20, 'q2')];
    const { records, stats } = drain(replayLines(lines));
    expect(stats.ticks).toBe(3);
    const samples = records.flatMap((r) => (r.body.kind === 'Sample' ? [`${r.t}:${r.body.value.status}`] : []));
    expect(samples).toEqual(['4:running', '12:running', '22:running']);
  });

  it('file-allocation host lines reach the tick as fileAllocations', () => {
    const lines = [L(1, 'in', greeting), ...poll(2, 'a', [11]), L(5, 'host', { 'file-allocation': { path: '/img/top.qcow2', bytes: 4096 } })];
    const ticks = ticksOf(lines);
    expect(ticks).toHaveLength(1);
    expect(ticks[0]!.host.fileAllocations).toEqual({ '/img/top.qcow2': 4096 });
  });

  it("a process-stats host line reaches its tick, and the Sample has the QEMU process's CPU times", () => {
    const usage = { userTicks: 300, systemTicks: 50, rssKb: 163840, vcpus: [{ index: 0, ticks: 200 }] };
    const lines = [L(1, 'in', greeting), ...poll(2, 'a', [11]), L(5, 'host', { 'process-stats': usage })];
    expect(ticksOf(lines)[0]!.host.process).toEqual(usage);
    const [rec] = drain(replayLines(lines)).records;
    expect(rec!.body.kind === 'Sample' && rec!.body.value.cpu).toEqual({
      timeUs: 3_500_000,
      userUs: 3_000_000,
      systemUs: 500_000,
      vcpus: [{ index: 0, timeUs: 2_000_000 }],
    });
  });

  it('routes replies by id: an error reply to a tick command lands in the sample errors; unknown ids are dropped', () => {
    const lines = [
      L(1, 'in', greeting),
      L(2, 'out', { execute: 'query-status', id: 1 }),
      L(3, 'in', { return: { status: 'paused', running: false }, id: 99 }),
      L(4, 'in', { return: { status: 'running', running: true }, id: 1 }),
      L(5, 'out', { execute: 'query-block', id: { n: 2 } }),
      L(6, 'in', { error: { class: 'GenericError', desc: 'boom' }, id: { n: 2 } }),
      L(7, 'out', { execute: 'query-blockstats', id: 3 }),
      L(8, 'in', { return: [], id: 3 }),
    ];
    const { records } = drain(replayLines(lines));
    expect(samples(records)).toEqual([expect.objectContaining({ status: 'running', errors: ['query-block: GenericError'], slowRefresh: false })]);
  });
});
