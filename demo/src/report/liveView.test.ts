import { describe, expect, it } from 'vitest';
import { addNote, currentChain } from './demoState.js';
import { runFixture } from '#test/support/fixtureRun.js';
import { bar, renderAlertLine, renderCompact, renderFrame } from './liveView.js';

const MiB = 1024 * 1024;
const run = runFixture();

describe('bar', () => {
  it.each([
    [58 * MiB, 96 * MiB, 12, '[#######.....]  60% 58.0/96.0 MiB'],
    [0, 96 * MiB, 12, '[............]   0% 0.0/96.0 MiB'],
    [96 * MiB, 96 * MiB, 12, '[############] 100% 96.0/96.0 MiB'],
    [165.3 * MiB, 160 * MiB, 12, '[############] 103% 165.3/160.0 MiB'],
    [null, 96 * MiB, 4, '[????]   ?% ?/96.0 MiB'],
    [5 * MiB, 0, 4, '[????]   ?% 5.0/0.0 MiB'],
  ])('%d of %d', (alloc, phys, width, want) => {
    expect(bar(alloc, phys, width)).toBe(want);
  });
});

describe('renderFrame over the fixture', () => {
  const state = addNote(run.state, 12_300, 'grew /dev/loop2 96 → 160 MiB; cont');
  const frame = renderFrame(state, { title: 'qmpipe demo · replay', now: 60_000, startedAt: 0, width: 200 });
  const lines = frame.split('\n');

  it('shows one bar per current chain element, allocation against physical', () => {
    const vda = state.vms['cap-thin']!.devices.vda!;
    for (const e of currentChain(vda)) {
      const line = lines.find((l) => l.trimStart().startsWith(`vda[${e.index}]`))!;
      expect(line).toContain(bar(e.allocation, e.physical));
    }
    expect(lines.find((l) => l.trimStart().startsWith('vda[1]'))).toMatch(/103% 165\.3\/160\.0 MiB {2}free -5\.3 MiB .* FULL$/);
  });

  it('lists the firing alerts and the resolved ones, paused-enospc with how long it lasted', () => {
    expect(frame).toContain(`FIRING (${Object.keys(state.firing).length})`);
    expect(lines.some((l) => /critical watermark +vda\[1\] lv0-format +t\+34\.5s/.test(l))).toBe(true);
    expect(lines.some((l) => /critical paused-enospc +vda\[0\] lv0-format +t\+18\.1s → t\+18\.3s \(0\.2 s\) +resumed after 0\.2 s/.test(l))).toBe(true);
    expect(frame).toContain('RESOLVED (5)');
  });

  it('shows the header, the write rate and the operator notes, clipped to the width', () => {
    expect(lines[0]).toBe('qmpipe demo · replay · 60 s · 3 firing · Ctrl-C stops everything');
    expect(frame).toContain('  vda  write ');
    expect(frame).toContain('  +12.3s grew /dev/loop2 96 → 160 MiB; cont');
    const narrow = renderFrame(state, { title: 't', now: 0, startedAt: 0, width: 40 });
    expect(Math.max(...narrow.split('\n').map((l) => l.length))).toBeLessThanOrEqual(40);
  });

  it('says it waits when nothing arrived yet', () => {
    expect(renderFrame({ ...state, vms: {} }, { title: 't', now: 0, startedAt: 0 })).toContain('waiting for the first sample');
  });
});

describe('renderCompact and renderAlertLine', () => {
  it('prints one line per disk and one for the firing alerts', () => {
    const out = renderCompact(run.state, 30_000, 0).trimEnd().split('\n');
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^\[view \+30s\] cap-thin running write .* \| vda\[0\] \[#+\.*\] .* \| vda\[1\] \[#{12}\] 103% 165\.3\/160\.0 MiB FULL$/);
    expect(out[1]).toContain('firing: watermark(vda[1] lv0-format), time-to-full(vda[1] lv0-format), threshold-crossed(vda[1] lv0-storage)');
  });

  it('prints an alert transition on one line', () => {
    const paused = run.state.transitions.find((m) => m.type === 'paused-enospc')!;
    expect(renderAlertLine(paused)).toMatch(
      /^ALERT FIRING {3}critical paused-enospc {5}cap-thin vda\[0\] lv0-format 01:46:38\.9Z: vda: write to lv0-format failed with ENOSPC/,
    );
  });
});
