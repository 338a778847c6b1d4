import { describe, expect, it } from 'vitest';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { fixturePath } from '#test/support/fixtures.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { initialState } from '../../core/state/state.js';
import { createCore } from '../../core/step.js';
import { promName } from './naming.js';
import { LabelCache, toTimeSeries } from './series.js';
import type { TimeSeries } from './protobuf.js';

describe('promName: the naming table', () => {
  it.each([
    ['block.vda.wr.bytes', 'bytes', true, 'qmpipe_block_write_bytes_total', [['device', 'vda']]],
    ['block.vda.rd.reqs', 'count', true, 'qmpipe_block_read_requests_total', [['device', 'vda']]],
    ['block.vda.fl.times', 'seconds', true, 'qmpipe_block_flush_seconds_total', [['device', 'vda']]],
    ['block.vda.wr.failed', 'count', true, 'qmpipe_block_write_failed_requests_total', [['device', 'vda']]],
    ['block.vda.wr.latency', 'seconds', false, 'qmpipe_block_write_latency_seconds', [['device', 'vda']]],
    ['block.vda.idle', 'seconds', false, 'qmpipe_block_idle_seconds', [['device', 'vda']]],
    [
      'block.vda.1.allocation',
      'bytes',
      false,
      'qmpipe_chain_allocation_bytes',
      [
        ['device', 'vda'],
        ['backing_index', '1'],
      ],
    ],
    [
      'block.vda.0.growth',
      'bytes/s',
      false,
      'qmpipe_chain_growth_bytes_per_second',
      [
        ['device', 'vda'],
        ['backing_index', '0'],
      ],
    ],
    ['net.tap0.rx.pkts', 'count', true, 'qmpipe_net_receive_packets_total', [['interface', 'tap0']]],
    ['vcpu.1.exits', 'count', true, 'qmpipe_vcpu_exits_total', [['vcpu', '1']]],
    ['vcpu.0.halt_wait_ns', 'seconds', true, 'qmpipe_vcpu_halt_wait_seconds_total', [['vcpu', '0']]],
    [
      'vcpu.0.halt_wait_hist.p99',
      'seconds',
      false,
      'qmpipe_vcpu_halt_wait_hist_seconds',
      [
        ['vcpu', '0'],
        ['quantile', '0.99'],
      ],
    ],
    ['vcpu.0.guest_mode', 'boolean', false, 'qmpipe_vcpu_guest_mode', [['vcpu', '0']]],
    ['vm.pages_4k', 'count', false, 'qmpipe_vm_pages_4k', []],
    ['vm.cryptodev.ops', 'count', true, 'qmpipe_vm_cryptodev_ops_total', []],
    ['state.state', 'enum', false, 'qmpipe_domain_state', []],
    ['state.reason', 'enum', false, 'qmpipe_domain_state_reason', []],
    ['cpu.time', 'seconds', true, 'qmpipe_cpu_seconds_total', []],
    ['cpu.user', 'seconds', true, 'qmpipe_cpu_user_seconds_total', []],
    ['cpu.system', 'seconds', true, 'qmpipe_cpu_system_seconds_total', []],
    ['vcpu.1.time', 'seconds', true, 'qmpipe_vcpu_time_seconds_total', [['vcpu', '1']]],
    ['balloon.current', 'bytes', false, 'qmpipe_balloon_current_bytes', []],
    ['balloon.rss', 'bytes', false, 'qmpipe_balloon_rss_bytes', []],
    ['balloon.swap_in', 'bytes', true, 'qmpipe_balloon_swap_in_bytes_total', []],
    ['balloon.major_fault', 'count', true, 'qmpipe_balloon_major_fault_total', []],
    ['balloon.last-update', 'seconds', false, 'qmpipe_balloon_last_update_timestamp_seconds', []],
  ] as const)('%s (%s) → %s', (series, unit, counter, name, labels) => {
    expect(promName(series, unit, counter)).toEqual({ name, labels });
  });

  it('has no name for what it does not know (and no counter for a latency)', () => {
    expect(promName('block.vda.wr.latency', 'seconds', true)).toBeNull();
    expect(promName('jobs.x', 'count', false)).toBeNull();
  });
});

const { records } = transcriptRecords(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl'));
const core = createCore(defaultProcessorConfig(), { emitRates: true, emitPoints: true });
const state = initialState();
const out = core.step(state, records).outputs;
const mapped = toTimeSeries(out, state, { cluster: 'test' });
const label = (s: TimeSeries, n: string) => s.labels.find(([k]) => k === n)?.[1];
const find = (name: string, extra: Record<string, string> = {}) =>
  mapped.series.filter((s) => label(s, '__name__') === name && Object.entries(extra).every(([k, v]) => label(s, k) === v));

describe('toTimeSeries over the thin-LV fixture', () => {
  it('maps every value, labels sorted, host/vm/vm_uuid and the extra labels on each', () => {
    expect(mapped.unmapped).toBe(0);
    for (const s of mapped.series) {
      const names = s.labels.map(([k]) => k);
      expect(names).toEqual([...names].sort());
      for (const k of ['__name__', 'cluster', 'host', 'vm', 'vm_uuid']) expect(names).toContain(k);
      for (let i = 1; i < s.samples.length; i++) expect(s.samples[i]!.t).toBeGreaterThan(s.samples[i - 1]!.t);
    }
  });

  it('writes the write counter at every sample, and no per-second rate series', () => {
    const [wr] = find('qmpipe_block_write_bytes_total');
    expect(wr!.samples).toHaveLength(out.points.filter((p) => p.series === 'block.vda.wr.bytes').length);
    expect(mapped.series.some((s) => /per_second$/.test(label(s, '__name__')!) && !label(s, '__name__')!.startsWith('qmpipe_chain_growth'))).toBe(false);
  });

  it('writes the run state as libvirt numbers it: paused for the I/O error (3, reason 5) between running', () => {
    const values = (name: string) => find(name).flatMap((x) => x.samples.map((p) => p.value));
    expect(new Set(values('qmpipe_domain_state'))).toEqual(new Set([1, 3]));
    expect(new Set(values('qmpipe_domain_state_reason'))).toEqual(new Set([0, 5]));
  });

  it('labels chain gauges with their node: one series per image at a position', () => {
    const alloc = find('qmpipe_chain_allocation_bytes').map((s) => `${label(s, 'backing_index')} ${label(s, 'node')}`);
    expect(alloc.sort()).toEqual(['0 lv0-format', '0 top-format', '1 lv0-format']);
  });

  it('writes firing alerts (2 critical, 1 warning) and a stale marker at their resolution', () => {
    const enospc = find('qmpipe_alert_firing', { type: 'paused-enospc' });
    expect(enospc).toHaveLength(1);
    expect(enospc[0]!.samples.map((x) => (x.stale ? 'stale' : x.value))).toEqual([2, 'stale']);
    const wm = find('qmpipe_alert_firing', { type: 'watermark', image: '/dev/loop2' });
    expect(wm).toHaveLength(1); // one series across the snapshot that moved lv0 from backing index 0 to 1
    expect(wm[0]!.samples.at(-1)).toMatchObject({ value: 2 }); // still firing at the end
    expect(mapped.series.filter((s) => label(s, '__name__') === 'qmpipe_alert_firing' && (label(s, 'backing_index') || label(s, 'node')))).toEqual([]);
  });

  it('maps the same with the sink’s memo of series identities, warm or cold', () => {
    const cache = new LabelCache();
    const strip = (m: ReturnType<typeof toTimeSeries>) => m.series.map((x) => ({ labels: x.labels, samples: x.samples }));
    toTimeSeries(out, state, { cluster: 'test' }, cache);
    expect(strip(toTimeSeries(out, state, { cluster: 'test' }, cache))).toEqual(strip(mapped));
    expect(strip(toTimeSeries(out, state, { cluster: 'test' }, new LabelCache(3)))).toEqual(strip(mapped)); // cleared as it fills
  });

  it('writes a 0 one millisecond before a counter that reset, so Prometheus sees the reset', () => {
    const p = out.points.find((x) => x.series === 'block.vda.wr.bytes')!;
    const m = toTimeSeries({ rates: [], alerts: [], points: [{ ...p, reset: true }] }, null);
    expect(m.series[0]!.samples).toEqual([
      { value: 0, t: p.t - 1 },
      { value: p.value, t: p.t },
    ]);
  });
});
