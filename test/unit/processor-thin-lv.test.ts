/**
 * The processor on the real thin-LV transcript (test/fixtures/qmp/README.md):
 * a qcow2 on a 96 MiB loop "LV", the guest writing 8 MiB/s until ENOSPC pauses it,
 * the LV grown by 64 MiB, a live snapshot, then an active block-commit that fills
 * the base until it hits ENOSPC. Default config (the watermark uses its ratio form
 * on a device smaller than one chunk).
 */
import { describe, expect, it } from 'vitest';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import type { RawRecord } from '#schemas/types.js';
import type { Alert, Rate } from '#schemas/outputs.js';
import { initialState } from '#processor/core/state/state.js';
import { createCore } from '#processor/core/step.js';
import { fixturePath } from '../support/fixtures.js';
import { domstatsEntries } from '#tools/domstats/domstats.js';
import { lastSample, transcriptRecords } from '#tools/transcript/decoded.js';
import { replies } from '../support/transcriptReading.js';

const MiB = 1024 * 1024;
const file = fixturePath('qmp', 'thin-lv-enospc-commit.jsonl');
const { records } = transcriptRecords(file);
const core = createCore(defaultProcessorConfig(), { emitRates: true });
const { outputs } = core.step(initialState(), records);
const t0 = records[0]!.t;
const rel = (t: number) => Math.round((t - t0) / 100) / 10;

/** Record time of the first QmpEvent record of this name. */
function eventAt(name: string): number {
  const r = records.find((x) => x.body.kind === 'QmpEvent' && x.body.value.event === name);
  if (!r) throw new Error(`no ${name}`);
  return r.t;
}
const firing = (type: string): Alert[] => outputs.alerts.filter((a) => a.type === type && a.state === 'firing');
const resolved = (type: string): Alert[] => outputs.alerts.filter((a) => a.type === type && a.state === 'resolved');
const rates = (series: string): Rate[] => outputs.rates.filter((r) => r.series === series);

describe('thin-lv-enospc-commit.jsonl through replay → Avro → core', () => {
  it('writes at about 8 MiB/s during the guest write phase', () => {
    const ioError = eventAt('BLOCK_IO_ERROR');
    const phase = rates('block.vda.wr.bytes').filter((r) => r.value > 0 && r.t < ioError);
    expect(phase.length).toBeGreaterThanOrEqual(10);
    const sorted = phase.map((r) => r.value).sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1]!;
    expect(median / MiB).toBeGreaterThan(7.8);
    expect(median / MiB).toBeLessThan(8.2);
    expect(phase.filter((r) => Math.abs(r.value / MiB - 8) < 0.4).length / phase.length).toBeGreaterThanOrEqual(0.9);
  });

  it('never emits a negative rate', () => {
    const perSecond = outputs.rates.filter((r) => r.unit.endsWith('/s'));
    expect(perSecond.length).toBeGreaterThan(500);
    expect(perSecond.filter((r) => r.value < 0 || !Number.isFinite(r.value))).toEqual([]);
  });

  it('fires the watermark before the ENOSPC pause', () => {
    const w = firing('watermark');
    expect(w[0]!.t).toBeLessThan(eventAt('BLOCK_IO_ERROR'));
    expect(w[0]).toMatchObject({ severity: 'warning', labels: { device: 'vda', backingIndex: 0, node: 'lv0-format' } });
    expect(w[0]!.value).toBeGreaterThanOrEqual(0.8);
  });

  it('fires paused-enospc at the BLOCK_IO_ERROR and resolves it at the RESUME with the paused time', () => {
    expect(firing('paused-enospc').map((a) => a.t)).toEqual([eventAt('BLOCK_IO_ERROR')]);
    const r = resolved('paused-enospc');
    expect(r.map((a) => a.t)).toEqual([eventAt('RESUME')]);
    expect(r[0]!.pausedMs).toBe(243); // STOP 998.881651 → RESUME 999.124420 (QEMU clock)
  });

  it('has the run state as libvirt numbers it: running, paused on the I/O error (3, 5 IOERROR), then running unpaused (1, 5)', () => {
    const pairs = rates('state.state').map((r, i) => `${r.value}/${rates('state.reason')[i]!.value}`);
    const runs: string[] = [];
    for (const p of pairs) if (runs.at(-1) !== p) runs.push(p);
    expect(runs).toEqual(['1/0', '3/5', '1/5']);
    const paused = rates('state.state').find((r) => r.value === 3)!;
    expect(paused.t).toBeGreaterThan(eventAt('STOP'));
    expect(paused.t).toBeLessThan(eventAt('RESUME'));
    expect(rates('state.state').length).toBe(records.filter((r) => r.body.kind === 'Sample').length);
    expect(rates('state.reason')[0]).toMatchObject({ unit: 'enum', vm: 'cap-thin' });
    const st = initialState();
    const rows = [...core.step(st, records).outputs.rollups, ...core.flush(st).rollups];
    const windows = (series: string) => rows.filter((r) => r.series === series).map((r) => `${r.resolutionMs} ${r.windowStart}`);
    // A row in every window the disk's rows have, the flushed ones at the end included.
    expect(windows('state.state')).toEqual(windows('block.vda.wr.bytes'));
    expect(windows('state.reason')).toEqual(windows('block.vda.wr.bytes'));
    const state = rows.filter((r) => r.series === 'state.state' && r.resolutionMs === 60_000);
    expect(state.map((r) => [r.type, r.min, r.max, r.last])).toEqual([
      ['gauge', 1, 3, 1],
      ['gauge', 1, 1, 1],
    ]);
  });

  it('fires threshold-crossed at the BLOCK_WRITE_THRESHOLD, not re-armed since', () => {
    const a = firing('threshold-crossed');
    expect(a.map((x) => x.t)).toEqual([eventAt('BLOCK_WRITE_THRESHOLD')]);
    expect(a[0]).toMatchObject({ threshold: 159383552, value: 159383552 + 327680, labels: { node: 'lv0-storage', backingIndex: 1 } });
    // One unit in the message (was "152.3 MiB … threshold 159383552").
    expect(a[0]!.message).toBe(
      'lv0-storage: write reached 152.3 MiB, 0.3 MiB past the write threshold 152.0 MiB; QEMU disarmed it (one-shot): not re-armed since: re-arm it after extending',
    );
    expect(resolved('threshold-crossed')).toEqual([]);
  });

  it('fires commit-growth while the commit grows the base (backingIndex 1), resolves when the job ends', () => {
    const running = eventAt('JOB_STATUS_CHANGE');
    const a = firing('commit-growth');
    expect(a.length).toBeGreaterThanOrEqual(1);
    expect(a[0]!.t).toBeGreaterThan(running);
    expect(a[0]!.t).toBeLessThan(eventAt('BLOCK_JOB_ERROR'));
    expect(a[0]!.labels).toMatchObject({ device: 'vda', backingIndex: 1, node: 'lv0-format' });
    const base = rates('block.vda.1.allocation');
    const before = base.filter((r) => r.t < a[0]!.t).at(-1)!.value;
    expect(base.find((r) => r.t === a[0]!.t)!.value).toBeGreaterThan(before);
    expect(resolved('commit-growth').map((x) => x.t)).toEqual([eventAt('BLOCK_JOB_CANCELLED')]);
  });

  it('fires block-job-error when the commit hits ENOSPC on the base, once for nine events', () => {
    expect(firing('block-job-error').map((a) => [a.t, a.labels.blockJob])).toEqual([[eventAt('BLOCK_JOB_ERROR'), 'commit0']]);
  });

  it('produces this alert timeline', () => {
    const timeline = outputs.alerts.map(
      (a) => `${rel(a.t)} ${a.type} ${a.state} ${a.severity} ${a.labels.device}[${a.labels.backingIndex ?? '-'}] ${a.labels.node}`,
    );
    expect(timeline).toEqual([
      '8.1 time-to-full firing warning vda[0] lv0-format',
      '14.1 time-to-full firing critical vda[0] lv0-format',
      '16.1 watermark firing warning vda[0] lv0-format',
      '18.1 paused-enospc firing critical vda[0] lv0-format',
      '18.1 watermark firing critical vda[0] lv0-format',
      '18.3 paused-enospc resolved critical vda[0] lv0-format',
      '19.3 watermark resolved critical vda[0] lv0-format',
      '19.3 time-to-full firing warning vda[0] lv0-format',
      // the live snapshot moves lv0 to backing index 1: its alert stays (one image), and resolves there as lv0 stops growing
      '23.4 time-to-full resolved warning vda[1] lv0-format',
      '31.4 watermark firing warning vda[1] lv0-format',
      '31.4 time-to-full firing warning vda[1] lv0-format',
      '31.4 commit-growth firing critical vda[1] lv0-format',
      '34.4 threshold-crossed firing warning vda[1] lv0-storage',
      '34.5 watermark firing critical vda[1] lv0-format',
      '34.5 time-to-full firing critical vda[1] lv0-format',
      '38.5 block-job-error firing critical vda[-] ',
      '41.5 block-job-error resolved critical vda[-] ',
      '41.5 commit-growth resolved critical vda[1] lv0-format',
    ]);
  });

  it('domstats --backing during the commit shows the base at backingIndex 1 with allocation = its storage node wr_highest_offset', () => {
    const commit = replies(file, 'block-commit')[0]!.t;
    const duringCommit = replies(file, 'query-blockstats').filter((r) => r.args === undefined && r.t > commit + 3_000)[0]!;
    const cut = transcriptRecords(file, { until: duringCommit.t }).records;
    const entries = Object.fromEntries(domstatsEntries(lastSample(cut as RawRecord[])!.sample, { backing: true }));
    expect(entries['block.count']).toBe(2);
    expect(entries['block.1.backingIndex']).toBe(1);
    expect(entries['block.1.path']).toBe('/dev/loop2');
    // Independently from the raw reply: the device's chain top-format → backing lv0-format, whose parent is lv0-storage.
    const dev = (duringCommit.ret as Array<{ backing: { 'node-name': string; parent: { 'node-name': string; stats: { wr_highest_offset: number } } } }>)[0]!;
    expect(dev.backing['node-name']).toBe('lv0-format');
    expect(dev.backing.parent['node-name']).toBe('lv0-storage');
    expect(entries['block.1.allocation']).toBe(dev.backing.parent.stats.wr_highest_offset);
    expect(entries['block.1.physical']).toBe(167772160);
  });
});
