/** Each alert's state machine through the core, on hand-built records, including flapping input. */
import { describe, expect, it } from 'vitest';
import { ProcessorConfig, type ProcessorConfigInput } from '#schemas/config/processor.js';
import type { RawRecord } from '#schemas/types.js';
import { initialState } from '../state/state.js';
import { createCore } from '../step.js';
import { VM, counters, device, diskAt, element, eventRec, sampleRec } from '#test/support/records.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function alerts(recs: RawRecord[], cfg: ProcessorConfigInput = {}, only?: string): string[] {
  const core = createCore(ProcessorConfig.parse(cfg));
  return core
    .step(initialState(), recs)
    .outputs.alerts.filter((a) => only === undefined || a.type === only)
    .map((a) => `${a.t / 1000} ${a.type} ${a.state} ${a.severity}`);
}

/** Samples at 1 s, 2 s, … with the top element at these allocations (MiB). */
function allocations(mib: number[], e = {}): RawRecord[] {
  return mib.map((m, i) => sampleRec((i + 1) * 1000, { blockDevices: [diskAt(m * MiB, {}, e)] }));
}

describe('watermark', () => {
  it('ratio form (auto on a device smaller than a chunk): flapping around 80 % fires once, resolves below 78 %', () => {
    // 96 MiB device: 78 MiB = 81 %, 77 = 80.2 %, 76 = 79.2 %, 70 = 72.9 %, 92 = 95.8 %, 88 = 91.7 %
    expect(alerts(allocations([70, 78, 77, 76, 77, 70]), {}, 'watermark')).toEqual(['2 watermark firing warning', '6 watermark resolved warning']);
    expect(alerts(allocations([70, 78, 92, 88, 70]), {}, 'watermark')).toEqual([
      '2 watermark firing warning',
      '3 watermark firing critical',
      '4 watermark firing warning',
      '5 watermark resolved warning',
    ]);
  });
  it('limit form (VDSM): free < 2 GiB warns, < 512 MiB is critical, resolves 128 MiB above the limit', () => {
    const phys = { physical: 10 * GiB, capacity: 20 * GiB };
    const free = [3 * GiB, 1.9 * GiB, 2.05 * GiB, 0.4 * GiB, 2.2 * GiB].map((f) => (10 * GiB - f) / MiB);
    expect(alerts(allocations(free, phys), {}, 'watermark')).toEqual([
      '2 watermark firing warning',
      '4 watermark firing critical',
      '5 watermark resolved critical',
    ]);
  });
  it('explicit limit mode makes a small device alert from the start', () => {
    expect(alerts(allocations([1, 2]), { alerts: { watermark: { mode: 'limit' } } }, 'watermark')).toEqual(['1 watermark firing critical']);
  });
  it.each([
    ['a file-backed qcow2', { storageDriver: 'file' }],
    ['a raw image', { formatDriver: 'raw' }],
    ['an unknown physical size', { physical: null }],
  ])('never fires for %s', (_n, e) => {
    expect(alerts(allocations([95, 96], e), {}, 'watermark')).toEqual([]);
  });
});

describe('time-to-full', () => {
  it('warns under 15 s, is critical under 5 s, steps down as the 5 s growth window drains, resolves at no growth', () => {
    // 96 MiB device growing 8 MiB/s from 30 MiB: free 58 MiB → 7.25 s (warning) … 34 MiB → 4.25 s (critical).
    // Writes stop at 78 MiB (t = 7 s): growth over the window falls 6.4, 4.8, 3.2, 1.6, 0 MiB/s, so time-to-full
    // reads 2.8, 3.75, 5.6 (held: < 5 s × 1.25), 11.25 s (warning), then no growth.
    const mib = [30, 38, 46, 54, 62, 70, 78, 78, 78, 78, 78, 78, 78];
    expect(alerts(allocations(mib), {}, 'time-to-full')).toEqual([
      '2 time-to-full firing warning',
      '5 time-to-full firing critical',
      '11 time-to-full firing warning',
      '12 time-to-full resolved warning',
    ]);
  });
});

describe('improbable-allocation', () => {
  it('flags allocation beyond capacity × 1.1 (data quality), and clears', () => {
    const e = { capacity: 100 * MiB, physical: 200 * MiB };
    expect(alerts(allocations([50, 111, 112, 100], e), {}, 'improbable-allocation')).toEqual([
      '2 improbable-allocation firing warning',
      '4 improbable-allocation resolved warning',
    ]);
  });
});

describe('commit-growth', () => {
  const base = (m: number) => element({ backingIndex: 1, formatNode: 'base-fmt', storageNode: 'base-sto', allocation: m * MiB, physical: 160 * MiB });
  const top = element({ backingIndex: 0, formatNode: 'top-fmt', storageNode: 'top-sto', storageDriver: 'file', filename: '/t.qcow2', allocation: MiB });
  const job = { id: 'commit0', type: 'commit', status: 'running', len: 100 * MiB, offset: 0, ioStatus: 'ok', ready: false, paused: false };
  const at = (t: number, m: number, jobs = [job]) => sampleRec(t * 1000, { blockDevices: [device({ chain: [top, base(m)] })], jobs });
  it('fires while a job grows a backing element, and resolves when the job ends', () => {
    const recs = [
      at(1, 10, []),
      at(2, 10, []),
      at(3, 26),
      at(4, 26),
      at(5, 42),
      eventRec(5500, 'JOB_STATUS_CHANGE', { id: 'commit0', status: 'concluded' }),
      at(6, 42, []),
    ];
    // t = 3: 8 MiB/s over the window, 134 MiB free, full in 16.8 s: warning; t = 5: 14.8 s < 15 s: critical.
    expect(alerts(recs, {}, 'commit-growth')).toEqual([
      '3 commit-growth firing warning',
      '5 commit-growth firing critical',
      '5.5 commit-growth resolved critical',
    ]);
  });
  it('does not fire for growth without a job, or for the active layer', () => {
    expect(alerts([at(1, 10, []), at(2, 26, []), at(3, 42, [])], {}, 'commit-growth')).toEqual([]);
  });
});

describe('paused-enospc', () => {
  const err = (t: number) =>
    eventRec(t, 'BLOCK_IO_ERROR', {
      device: '',
      'node-name': 'lv0-format',
      operation: 'write',
      action: 'stop',
      nospace: true,
      reason: 'No space left on device',
    });
  it('fires on BLOCK_IO_ERROR nospace (duplicates de-duplicated), resolves on RESUME with the paused time', () => {
    const core = createCore(ProcessorConfig.parse({}));
    const recs = [
      sampleRec(1000),
      err(1500),
      err(1501),
      eventRec(1502, 'STOP'),
      sampleRec(2000, { status: 'io-error', running: false, blockDevices: [device({ ioStatus: 'nospace' })] }),
      eventRec(4502, 'RESUME'),
    ];
    const out = core.step(initialState(), recs).outputs.alerts.filter((a) => a.type === 'paused-enospc');
    expect(out.map((a) => [a.t, a.state, a.severity, a.pausedMs])).toEqual([
      [1500, 'firing', 'critical', null],
      [4502, 'resolved', 'critical', 3000],
    ]);
    expect(out[1]!.message).toContain('3.0 s');
  });
  it('ignores I/O errors without nospace', () => {
    expect(alerts([sampleRec(1000), eventRec(1500, 'BLOCK_IO_ERROR', { device: 'x', operation: 'write', action: 'report' })], {}, 'paused-enospc')).toEqual([]);
  });
  it('fires from a sample in io-error with io-status nospace when the event was missed; a running sample resolves a missed RESUME', () => {
    const paused = { status: 'io-error', running: false, blockDevices: [device({ ioStatus: 'nospace' })] };
    expect(alerts([sampleRec(1000), sampleRec(2000, paused), sampleRec(3000, paused), sampleRec(4000)], {}, 'paused-enospc')).toEqual([
      '2 paused-enospc firing critical',
      '4 paused-enospc resolved critical',
    ]);
  });
});

describe('threshold-crossed', () => {
  const crossed = (t: number) => eventRec(t, 'BLOCK_WRITE_THRESHOLD', { 'node-name': 'lv0-storage', 'write-threshold': 50 * MiB, 'amount-exceeded': MiB });
  const armed = (t: number, slow: boolean) => sampleRec(t, { slowRefresh: slow, blockDevices: [diskAt(60 * MiB, {}, { writeThreshold: 80 * MiB })] });
  it('fires at the event (one-shot), holds until a fresh slow-group sample shows it re-armed', () => {
    expect(alerts([sampleRec(1000), crossed(1500), sampleRec(2000), armed(3000, false), armed(4000, true)], {}, 'threshold-crossed')).toEqual([
      '1.5 threshold-crossed firing warning',
      '4 threshold-crossed resolved warning',
    ]);
  });
  it('says bytes in one unit when it fires and when it is re-armed', () => {
    const core = createCore(ProcessorConfig.parse({}));
    const out = core.step(initialState(), [sampleRec(1000), crossed(1500), sampleRec(2000), armed(4000, true)]).outputs.alerts;
    expect(out.filter((a) => a.type === 'threshold-crossed').map((a) => a.message)).toEqual([
      'lv0-storage: write reached 51.0 MiB, 1.0 MiB past the write threshold 50.0 MiB; QEMU disarmed it (one-shot): not re-armed since: re-arm it after extending',
      'lv0-storage: write threshold re-armed at 80.0 MiB',
    ]);
  });
  it('a second event while firing means it was re-armed and crossed again', () => {
    expect(alerts([sampleRec(1000), crossed(1500), sampleRec(2000), crossed(2500)], {}, 'threshold-crossed')).toEqual([
      '1.5 threshold-crossed firing warning',
      '2.5 threshold-crossed resolved warning',
      '2.5 threshold-crossed firing warning',
    ]);
  });
  it('the event is authoritative over a lagging poll: free uses the proven offset', () => {
    const core = createCore(ProcessorConfig.parse({}), { emitRates: true });
    const out = core.step(initialState(), [
      sampleRec(1000, { blockDevices: [diskAt(40 * MiB)] }),
      crossed(1500),
      sampleRec(2000, { blockDevices: [diskAt(45 * MiB)] }),
    ]).outputs;
    expect(out.rates.find((r) => r.t === 2000 && r.series === 'block.vda.0.free')!.value).toBe(96 * MiB - 51 * MiB);
  });
});

describe('block-job-error', () => {
  const jerr = (t: number) => eventRec(t, 'BLOCK_JOB_ERROR', { device: 'commit0', operation: 'write', action: 'report' });
  it('fires once for repeated errors; resolves when the job is cancelled', () => {
    expect(
      alerts(
        [
          sampleRec(1000),
          jerr(1100),
          jerr(1200),
          jerr(1300),
          eventRec(2000, 'BLOCK_JOB_CANCELLED', { device: 'commit0', type: 'commit', len: 10, offset: 5, speed: 0 }),
        ],
        {},
        'block-job-error',
      ),
    ).toEqual(['1.1 block-job-error firing critical', '2 block-job-error resolved critical']);
  });
  it('a job that completed with an error stays firing until a new job with that id starts', () => {
    const done = eventRec(2000, 'BLOCK_JOB_COMPLETED', { device: 'commit0', type: 'commit', len: 10, offset: 5, speed: 0, error: 'No space left on device' });
    expect(
      alerts(
        [
          sampleRec(1000),
          done,
          eventRec(2100, 'JOB_STATUS_CHANGE', { id: 'commit0', status: 'null' }),
          eventRec(9000, 'JOB_STATUS_CHANGE', { id: 'commit0', status: 'created' }),
        ],
        {},
        'block-job-error',
      ),
    ).toEqual(['2 block-job-error firing critical', '9 block-job-error resolved critical']);
  });
});

describe('io-errors', () => {
  it('fires on new failed writes, de-duplicates, resolves after 3 quiet intervals', () => {
    const failed = [0, 2, 2, 3, 3, 3, 3, 3];
    const recs = failed.map((f, i) => sampleRec((i + 1) * 1000, { blockDevices: [device({ counters: counters({ failedWrOps: f }) })] }));
    expect(alerts(recs, {}, 'io-errors')).toEqual(['2 io-errors firing warning', '7 io-errors resolved warning']);
  });
});

describe('stale', () => {
  const vm2 = { ...VM, uuid: 'u-2', name: 'vm2' };
  it('fires when a VM sends nothing for 5 intervals of the partition clock, resolves when samples return', () => {
    const recs: RawRecord[] = [];
    for (let s = 1; s <= 12; s++) {
      if (s <= 3 || s >= 11) recs.push(sampleRec(s * 1000));
      recs.push(sampleRec(s * 1000 + 10, {}, vm2));
    }
    // vm1's last sample is at 3 s; vm2's record at 8.01 s moves the clock 5.01 s past it.
    expect(alerts(recs, { state: { sweepIntervalMs: 1000 } }, 'stale')).toEqual(['8.01 stale firing warning', '11 stale resolved warning']);
  });
  it('a VM that shut down is not stale', () => {
    const recs: RawRecord[] = [sampleRec(1000), eventRec(1500, 'SHUTDOWN', { guest: false, reason: 'host-qmp-quit' })];
    for (let s = 2; s <= 12; s++) recs.push(sampleRec(s * 1000, {}, vm2));
    expect(alerts(recs, {}, 'stale')).toEqual([]);
  });
});

describe('config', () => {
  it('disabled alert types never fire', () => {
    expect(alerts(allocations([70, 90, 95]), { alerts: { disabled: ['watermark', 'time-to-full'] } })).toEqual([]);
  });
});
