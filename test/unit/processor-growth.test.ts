/**
 * Why the processor smooths growth with a 5 s window rather than an EWMA
 * (processor/src/core/chain/growth.ts), measured on the thin-LV fixture's real
 * allocation series (wr_highest_offset of lv0-storage, 1 s ticks).
 */
import { describe, expect, it } from 'vitest';
import { GrowthConfig } from '#schemas/config/processor.js';
import type { RawRecord } from '#schemas/types.js';
import { newGrowth, updateGrowth } from '#processor/core/chain/growth.js';
import { fixturePath } from '../support/fixtures.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';

const MiB = 1024 * 1024;
const { records } = transcriptRecords(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl'));
const t0 = records[0]!.t;

/** [t (s from start), allocation] of the lv0-storage node, whatever its depth. */
const base: Array<[number, number]> = records.flatMap((r: RawRecord) => {
  if (r.body.kind !== 'Sample') return [];
  const e = r.body.value.blockDevices[0]!.chain.find((x) => x.storageNode === 'lv0-storage')!;
  return [[(r.t - t0) / 1000, e.allocation] as [number, number]];
});

function estimate(cfg: Parameters<typeof GrowthConfig.parse>[0]): Array<[number, number]> {
  const c = GrowthConfig.parse(cfg);
  const g = newGrowth();
  return base.flatMap(([t, a]) => {
    const v = updateGrowth(g, t * 1000, a, c);
    return v === null ? [] : [[t, v / MiB] as [number, number]];
  });
}
const window = estimate({ method: 'window', windowSeconds: 5 });
const ewma = estimate({ method: 'ewma', ewmaAlpha: 0.5 });
const between = (xs: Array<[number, number]>, a: number, b: number) => xs.filter(([t]) => t >= a && t <= b).map(([, v]) => v);
const range = (xs: number[]) => [Math.min(...xs), Math.max(...xs)];

describe('growth smoothing on the fixture', () => {
  it('steady 8 MiB/s writes with single-tick stalls (t ≈ 9 s): the window holds, the EWMA halves', () => {
    const [wLo] = range(between(window, 10, 18.5));
    const [eLo] = range(between(ewma, 9, 18.5));
    expect(wLo).toBeGreaterThan(6.3);
    expect(eLo).toBeLessThan(4);
  });

  it('the bursty block-commit (16 MiB every 3–4 s, ≈ 4 MiB/s): the window stays within 2× of the mean and never 0; the EWMA swings 8×', () => {
    const w = between(window, 31.4, 38.5);
    const e = between(ewma, 31.4, 38.5);
    const [wLo, wHi] = range(w);
    const [eLo, eHi] = range(e);
    expect(wLo).toBeGreaterThan(3);
    expect(wHi).toBeLessThan(7);
    expect(eHi / eLo).toBeGreaterThan(6);
    expect(wHi / wLo).toBeLessThan(2.2);
  });

  it('the price: on ramp-up the window needs its 5 s to reach the new rate', () => {
    expect(between(window, 6, 6.1)[0]).toBeLessThan(2.5);
    expect(between(window, 10.9, 11.2)[0]).toBeGreaterThan(6);
  });
});
