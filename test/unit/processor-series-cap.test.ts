/**
 * One VM cannot starve its partition (issue #14 item 4): a VM with 10,000 disks next to
 * the thin-LV VM. The partition's series cap alone let the big VM take all the room and
 * the thin VM's series were refused; with a per-VM share the big VM is held to it, what
 * it is refused is counted, and the thin VM's alerts and rollups are those of a run
 * without it. Backing-chain elements count as series.
 */
import { describe, expect, it } from 'vitest';
import { createCore } from '#processor/core/step.js';
import { initialState } from '#processor/core/state/state.js';
import { ProcessorConfig } from '#schemas/config/processor.js';
import type { Rollup } from '#schemas/outputs.js';
import type { RawRecord, VmIdentity } from '#schemas/types.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { fixturePath } from '../support/fixtures.js';
import { device, element, sampleRec } from '../support/records.js';

const thin = transcriptRecords(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl'), { host: 'h1' }).records;
const BIG: VmIdentity = { host: 'h2', uuid: 'u-big', name: 'big', instanceId: 'i-big', qemuVersion: '7.2.22' };
const DISKS = 10_000;
const disks = Array.from({ length: DISKS }, (_, i) =>
  device({
    dev: `vd${i}`,
    qdev: `/machine/peripheral/vd${i}/virtio-backend`,
    nodeName: `n${i}-format`,
    chain: [element({ formatNode: `n${i}-format`, storageNode: `n${i}-storage` })],
  }),
);

/** The thin VM's records with a 10,000-disk sample of the big VM after every 8th. */
function withBigVm(): RawRecord[] {
  const out: RawRecord[] = [];
  thin.forEach((r, i) => {
    out.push(r);
    if (i % 8 === 0) out.push(sampleRec(r.t + 1, { blockDevices: disks }, BIG));
  });
  return out;
}

function run(records: readonly RawRecord[], state: { maxSeries: number; maxSeriesPerVm?: number }) {
  const core = createCore(ProcessorConfig.parse({ state }));
  const st = initialState();
  const out = core.step(st, records);
  const rollups = [...out.outputs.rollups, ...core.flush(st).rollups];
  return { st, alerts: out.outputs.alerts, rollups };
}

const rowsOf = (rows: readonly Rollup[], vm: string) => rows.filter((r) => r.vm === vm);

describe('series caps', () => {
  const alone = run(thin, { maxSeries: 60_000 });
  const thinSeries = alone.st.vms[thin[0]!.vm.uuid]!.series;

  it('a chain element counts as a series', () => {
    const vm = alone.st.vms[thin[0]!.vm.uuid]!;
    const elements = Object.values(vm.chains).reduce((n, l) => n + l.length, 0);
    expect(elements).toBeGreaterThan(0);
    expect(alone.st.series).toBe(thinSeries);
    // The same records without backing chains: as many series fewer as there were elements.
    const chainless = thin.map((r) =>
      r.body.kind === 'Sample'
        ? { ...r, body: { kind: 'Sample' as const, value: { ...r.body.value, blockDevices: r.body.value.blockDevices.map((d) => ({ ...d, chain: [] })) } } }
        : r,
    );
    expect(thinSeries - run(chainless, { maxSeries: 60_000 }).st.vms[thin[0]!.vm.uuid]!.series).toBe(elements);
  });

  it('with only the partition cap, the 10,000-disk VM takes the room and the thin VM’s series are refused', () => {
    const shared = run(withBigVm(), { maxSeries: 60_000, maxSeriesPerVm: 60_000 });
    expect(shared.st.vms[BIG.uuid]!.series).toBeGreaterThan(50_000);
    expect(shared.st.vms[thin[0]!.vm.uuid]!.series).toBeLessThan(thinSeries);
    expect(rowsOf(shared.rollups, 'cap-thin').length).toBeLessThan(rowsOf(alone.rollups, 'cap-thin').length);
  });

  it('with a per-VM share, the big VM is held to it (counted) and the thin VM is as if alone', () => {
    const capped = run(withBigVm(), { maxSeries: 60_000, maxSeriesPerVm: 20_000 });
    const big = capped.st.vms[BIG.uuid]!;
    expect(big.series).toBeLessThanOrEqual(20_000);
    expect(big.series).toBeGreaterThan(19_000);
    expect(capped.st.counters.seriesOverflow).toBeGreaterThan(0);
    expect(capped.st.series).toBe(big.series + thinSeries);
    expect(capped.alerts.filter((a) => a.labels.vm === 'cap-thin')).toEqual(alone.alerts);
    expect(rowsOf(capped.rollups, 'cap-thin')).toEqual(rowsOf(alone.rollups, 'cap-thin'));
    const chainOfBig = Object.values(big.chains).reduce((n, l) => n + l.length, 0);
    expect(Object.keys(big.blocks).length + chainOfBig).toBeGreaterThan(0); // some disks followed, within the share
  });
});
