import { describe, expect, it } from 'vitest';
import { fixturePath } from '#test/support/fixtures.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { buildFrame, type Frame, type VmFrame } from '../model/frame.js';
import { createRecordFold, foldRecord } from '../model/recordFold.js';
import { initialUi, onKey } from './keys.js';
import { transcriptStats } from '#tools/stats/statsSource.js';
import { cpuIndexes, statLines } from '#tools/stats/statLines.js';
import { formatStats } from '#tools/stats/statsFormat.js';
import { fitColumns, renderList, renderScreen, visibleVms } from './screen.js';

function fixtureFrame(name: string): Frame {
  const fold = createRecordFold(defaultProcessorConfig());
  for (const r of transcriptRecords(fixturePath('qmp', name)).records) foldRecord(fold, r);
  return buildFrame(fold.top);
}

const thin = fixtureFrame('thin-lv-enospc-commit.jsonl');
const vm = (over: Partial<VmFrame>): VmFrame => ({ ...thin.vms[0]!, ...over });

describe('fitColumns', () => {
  it.each([
    [200, ['HOST', 'VM', 'STATE', 'EXITS/s', 'HPOLL', 'READ/s', 'WRITE/s', 'IOPS r/w', 'LAT r/w', 'NET rx/tx', 'FULLEST', 'ALERTS']],
    [100, ['HOST', 'VM', 'STATE', 'WRITE/s', 'FULLEST', 'ALERTS']],
    [60, ['VM', 'STATE', 'ALERTS']],
  ])('width %d keeps %j', (width, titles) => {
    expect(fitColumns(width).map((c) => c.title)).toEqual(titles);
  });
});

describe('renderList', () => {
  it('fits every line to the width and the height', () => {
    for (const width of [60, 100, 200]) {
      const lines = renderList(thin, initialUi(), { width, height: 12, source: 'replay' });
      expect(lines).toHaveLength(12);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(width);
    }
  });

  it('shows the fullest element and the firing alerts in the row', () => {
    const row = renderList(thin, initialUi(), { width: 220, height: 8, source: 'replay' })[2]!;
    expect(row).toMatch(/^> replay +cap-thin +shutdown .* vda\[1\] 103% \+2\.6 MiB\/s FULL +3 time-to-full!,watermark!,threshold-crossed$/);
  });
});

describe('sort, filter, select, drill in', () => {
  const frame: Frame = {
    t: thin.t,
    vms: [
      vm({ uuid: 'a', vm: 'alpha', host: 'h2', writeBytesPerSecond: 10, firing: [] }),
      vm({ uuid: 'b', vm: 'beta', host: 'h1', writeBytesPerSecond: 30, firing: [] }),
      vm({ uuid: 'c', vm: 'gamma', host: 'h1', writeBytesPerSecond: 20 }),
    ],
  };
  const names = (ui: ReturnType<typeof initialUi>) => visibleVms(frame, ui).map((v) => v.vm);

  it('sorts by the key, biggest first; r reverses; s moves to the next key', () => {
    let ui = { ...initialUi('write') };
    expect(names(ui)).toEqual(['beta', 'gamma', 'alpha']);
    ui = onKey(ui, { name: 'r' }, []);
    expect(names(ui)).toEqual(['alpha', 'gamma', 'beta']);
    ui = onKey(initialUi('host'), { name: 's' }, []);
    expect(ui.sort).toBe('fill');
    expect(names({ ...ui, sort: 'alerts' })).toEqual(['gamma', 'beta', 'alpha']); // ties by host, then name
  });

  it('filters on what is typed after /', () => {
    let ui = onKey(initialUi('vm'), { name: '/', sequence: '/' }, []);
    for (const ch of 'gam') ui = onKey(ui, { sequence: ch, name: ch }, []);
    ui = onKey(ui, { name: 'return' }, []);
    expect(ui.filter).toBe('gam');
    expect(names(ui)).toEqual(['gamma']);
    expect(names({ ...ui, filter: 'watermark' })).toEqual(['gamma']); // alert types match too
  });

  it('moves the selection and drills into the selected VM; Esc goes back; q quits', () => {
    let ui = initialUi('vm');
    const visible = names(ui).map((n) => frame.vms.find((v) => v.vm === n)!.uuid);
    ui = onKey(ui, { name: 'down' }, visible);
    ui = onKey(ui, { name: 'return' }, visible);
    expect(ui.drill).toBe('b');
    const screen = renderScreen(frame, ui, { width: 160, height: 60, source: 'replay' });
    expect(screen[1]).toMatch(/^VM beta +host h1/);
    expect(screen.some((l) => /\[1\] lv0-format +\[#+\] 103% 165\.3\/160\.0 MiB +free -5\.3 MiB +\+2\.6 MiB\/s +FULL +\/dev\/loop2/.test(l))).toBe(true);
    expect(onKey(ui, { name: 'escape' }, []).drill).toBeNull();
    expect(onKey(ui, { name: 'q', sequence: 'q' }, []).quit).toBe(true);
  });
});

describe('the drill-down shows the query-stats as qmpipe stats prints them', () => {
  const KVM = fixturePath('qmp', 'kvm-vcpu-stats.jsonl');

  it('every stat of the latest replies of a KVM transcript: the text of qmpipe stats, indented', () => {
    const frame = fixtureFrame('kvm-vcpu-stats.jsonl');
    const v = frame.vms[0]!;
    const s = transcriptStats(KVM);
    const want = formatStats(statLines(s.schemas, s.replies, cpuIndexes(s.cpus)))
      .trimEnd()
      .split('\n');
    expect(want.length).toBeGreaterThan(110); // 110 stats, headers and histogram bars
    const screen = renderScreen(frame, { ...initialUi(), drill: v.uuid }, { width: 200, height: 1000, source: 'replay' });
    const at = screen.indexOf('QUERY-STATS (the latest replies, as qmpipe stats prints them)');
    expect(at).toBeGreaterThan(0);
    expect(screen.slice(at + 1, at + 1 + want.length)).toEqual(want.map((l) => (l ? `  ${l}` : l)));
    expect(screen).toContain('  vcpu /machine/unattached/device[2] (cpu 1, provider: kvm)');
    expect(screen).toContain('      halt_wait_ns (cumulative, ns): 18777935881');
  });

  it('a TCG guest (no kvm provider): none, and why', () => {
    const screen = renderScreen(thin, { ...initialUi(), drill: thin.vms[0]!.uuid }, { width: 200, height: 1000, source: 'replay' });
    const at = screen.findIndex((l) => l.startsWith('QUERY-STATS'));
    expect(screen[at + 1]).toBe('  none: the last Sample has no query-stats (QEMU < 7.1, or no stats provider, as kvm under TCG)');
  });
});
