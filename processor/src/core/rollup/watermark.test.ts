/** Windows closed by the partition's watermark: a VM that goes silent, a VM that lags too far. */
import { describe, expect, it } from 'vitest';
import { ProcessorConfig } from '#schemas/config/processor.js';
import type { RawRecord } from '#schemas/types.js';
import type { Rollup } from '#schemas/outputs.js';
import { initialState } from '../state/state.js';
import { createCore } from '../step.js';
import { VM, sampleRec, tap } from '#test/support/records.js';

const cfg = ProcessorConfig.parse({ rollup: { resolutionsMs: [10_000, 30_000] } });
const VM2 = { ...VM, uuid: 'u-2', name: 'vm2' };
const lateness = 1_000;
const a = (s: number) => sampleRec(s * 1000, { blockDevices: [], net: [tap(100 * s)] });
const b = (ms: number, rx: number) => sampleRec(ms, { blockDevices: [], net: [tap(rx)] }, VM2);

interface Emitted {
  t: number;
  row: Rollup;
}

/** Steps record by record; each row with the time of the record that emitted it (Infinity: flush). */
function run(records: RawRecord[], allowedLatenessMs?: number): { rows: Emitted[]; late: number } {
  const core = createCore(cfg);
  const state = initialState();
  const rows: Emitted[] = [];
  let late = 0;
  for (const rec of records) {
    const out = core.step(state, [rec], { allowedLatenessMs }).outputs;
    rows.push(...out.rollups.map((row) => ({ t: rec.t, row })));
    late += out.lateRollups;
  }
  rows.push(...core.flush(state).rollups.map((row) => ({ t: Infinity, row })));
  return { rows: rows.filter((e) => e.row.series === 'net.tap0.rx.bytes'), late };
}

const key = (r: Rollup) => `${r.vm} ${r.resolutionMs} ${r.windowStart}`;
const byKey = (rows: Emitted[]) => rows.map((e) => e.row).sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));

describe('closing windows by the watermark', () => {
  // vm1 samples every second up to 35 s; vm2 from 1.5 s to 5.5 s, then goes silent.
  const records = [...Array.from({ length: 35 }, (_, i) => a(i + 1)), ...Array.from({ length: 5 }, (_, i) => b(1500 + 1000 * i, 10 * i))].sort(
    (x, y) => x.t - y.t,
  );

  it("closes a silent VM's windows once the other VM's records move the watermark past their end", () => {
    const { rows, late } = run(records, lateness);
    const silent = rows.filter((e) => e.row.vm === 'vm2').map((e) => [e.row.resolutionMs, e.row.windowStart, e.t, e.row.increase]);
    // 10 s window: the first record at or after 10 s + 1 s of lateness; 30 s window: at 31 s.
    expect(silent).toEqual([
      [10_000, 0, 11_000, 40],
      [30_000, 0, 31_000, 40],
    ]);
    expect(late).toBe(0);
  });

  it('emits the same rows as closing on the next sample, eviction or flush; only earlier', () => {
    const closed = run(records, lateness);
    const plain = run(records);
    expect(byKey(closed.rows)).toEqual(byKey(plain.rows));
    expect(plain.rows.filter((e) => e.row.vm === 'vm2').every((e) => e.t === Infinity)).toBe(true); // before: only the flush
    // vm1 sends on: its windows still close on its own samples, at the same records.
    const own = (r: Emitted[]) => r.filter((e) => e.row.vm === 'vm1').map((e) => [key(e.row), e.t]);
    expect(own(closed.rows)).toEqual(own(plain.rows));
  });

  it('a record more than the lateness behind re-opens no written window: its row is left out and counted', () => {
    // vm2 pauses after 4.5 s; vm1's 11 s record moves the watermark to 10 s (window [0,10) closes);
    // then vm2's 9.5 s sample arrives, 2.5 s behind the clock, and vm2 goes on at 13.5 s.
    const lagging = [b(1500, 0), b(2500, 10), a(3), b(3500, 20), b(4500, 30), a(11), a(12), b(9500, 40), b(13_500, 50), a(14)];
    const { rows, late } = run(lagging, lateness);
    const first = rows.filter((e) => e.row.vm === 'vm2' && e.row.resolutionMs === 10_000 && e.row.windowStart === 0);
    expect(first.map((e) => [e.t, e.row.count, e.row.increase])).toEqual([[11_000, 4, 30]]); // one row, written on time
    expect(late).toBe(11); // the re-opened [0,10) rows of vm2's tap (8 series), its run state (2) and its records row, emitted when its 13.5 s sample closed it
    const coarse = rows.filter((e) => e.row.vm === 'vm2' && e.row.resolutionMs === 30_000);
    expect(coarse.map((e) => [e.row.windowStart, e.row.count])).toEqual([[0, 6]]); // the 30 s window was still open: it has all six samples
  });

  it('with no lateness given (replay), windows close only on their own samples, eviction or flush', () => {
    const { rows } = run(records);
    expect(rows.filter((e) => e.row.vm === 'vm2').map((e) => e.t)).toEqual([Infinity, Infinity]);
  });
});
