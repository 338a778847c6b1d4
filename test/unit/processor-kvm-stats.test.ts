/**
 * The processor on real KVM query-stats (kvm-vcpu-stats.jsonl: 2 vCPUs, 47 vCPU and
 * 16 VM stats, log2 histograms), checked against the raw replies read independently.
 */
import { describe, expect, it } from 'vitest';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { log2Lower } from '#processor/core/stats/histogram.js';
import { initialState } from '#processor/core/state/state.js';
import { createCore } from '#processor/core/step.js';
import { fixturePath } from '../support/fixtures.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { replies } from '../support/transcriptReading.js';

const file = fixturePath('qmp', 'kvm-vcpu-stats.jsonl');
const { records } = transcriptRecords(file);
const state = initialState();
const { outputs } = createCore(defaultProcessorConfig(), { emitRates: true }).step(state, records);

type StatsEntry = { 'qom-path'?: string; stats: Array<{ name: string; value: number | boolean | number[] }> };
/** Raw vCPU replies by QOM path: [t, stat → value][] (t = the agent's sample time, read from the records). */
const vcpuReplies = replies(file, 'query-stats').filter((r) => r.args?.target === 'vcpu');
const sampleTimes = records.filter((r) => r.body.kind === 'Sample').map((r) => r.t);
function raw(qom: string, stat: string): number[][] {
  return vcpuReplies.map((r) => (r.ret as StatsEntry[]).find((e) => e['qom-path'] === qom)!.stats.find((s) => s.name === stat)!.value as number[]);
}
const series = (name: string) => outputs.rates.filter((r) => r.series === name);

describe('kvm-vcpu-stats.jsonl', () => {
  it('numbers vCPUs like query-cpus-fast cpu-index (device[0] → 0, device[2] → 1)', () => {
    expect(state.vms[records[0]!.vm.uuid]!.vcpus).toEqual({ '/machine/unattached/device[0]': 0, '/machine/unattached/device[2]': 1 });
  });

  it('rates vCPU exits as Δexits/Δt of the agent sample times', () => {
    const exits = series('vcpu.0.exits');
    expect(exits).toHaveLength(sampleTimes.length - 1);
    const rawExits = raw('/machine/unattached/device[0]', 'exits') as unknown as number[];
    exits.forEach((r, i) => {
      const want = ((rawExits[i + 1]! - rawExits[i]!) * 1000) / (sampleTimes[i + 1]! - sampleTimes[i]!);
      expect(r.value).toBeCloseTo(want, 6);
      expect(r.unit).toBe('count/s');
    });
    expect(Math.min(...exits.map((r) => r.value))).toBeGreaterThan(100);
  });

  it('reports halt time: vCPU 1 halts the whole time (≈ 1 s/s), vCPU 0 never', () => {
    const halted = series('vcpu.1.halt_wait_ns');
    expect(halted.length).toBeGreaterThan(15);
    for (const r of halted.slice(1)) expect(r.value).toBeCloseTo(1, 1);
    expect(halted[0]!.unit).toBe('seconds/s');
    expect(series('vcpu.0.halt_wait_ns').every((r) => r.value === 0)).toBe(true);
    expect(series('vcpu.1.halt_exits').every((r) => r.value >= 0)).toBe(true);
  });

  it('reports halt_wait_hist quantiles inside the bucket where the interval counts cross them', () => {
    const hist = raw('/machine/unattached/device[2]', 'halt_wait_hist');
    const lower = log2Lower(hist[0]!.length);
    let checked = 0;
    for (let i = 1; i < hist.length; i++) {
      const d = hist[i]!.map((v, k) => v - hist[i - 1]![k]!);
      const total = d.reduce((a, b) => a + b, 0);
      for (const [name, q] of [
        ['p50', 0.5],
        ['p90', 0.9],
        ['p99', 0.99],
      ] as const) {
        const got = series(`vcpu.1.halt_wait_hist.${name}`).find((r) => r.t === sampleTimes[i]);
        if (total === 0) {
          expect(got).toBeUndefined();
          continue;
        }
        let seen = 0;
        let k = 0;
        while (seen + d[k]! < q * total) seen += d[k++]!;
        const lo = lower[k]! * 1e-9;
        const hi = (lower[k + 1] ?? lower[k]!) * 1e-9;
        expect(got!.value).toBeGreaterThanOrEqual(lo);
        expect(got!.value).toBeLessThanOrEqual(hi);
        expect(got!.unit).toBe('seconds');
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(30);
  });

  it('keeps VM-level stats from the snapshot: instant gauges and cumulative rates', () => {
    expect(series('vm.pages_4k')[0]!.unit).toBe('count');
    const pte = series('vm.mmu_pte_write');
    expect(Math.max(...pte.map((r) => r.value))).toBeGreaterThan(100_000);
    expect(series('vcpu.0.guest_mode').every((r) => r.unit === 'boolean' && (r.value === 0 || r.value === 1))).toBe(true);
  });
});
