/**
 * One committed batch of a partition → Prometheus time series (pure):
 *
 *   counters      the core's counter Points: QEMU's cumulative count in its base unit,
 *                 `_total`; PromQL's rate() and increase() apply to them directly. Where
 *                 the core counted a reset (a decrease, or a new QEMU instance whose
 *                 count did not come out lower) a 0 is written 1 ms before the sample,
 *                 so Prometheus sees the reset as qmpipe does: a QEMU restart is a
 *                 reset, an agent restart (same instance, same counts) is not.
 *   chain gauges  the core's chain Points (allocation, capacity, physical, free,
 *                 growth) with the format node at their position (`node`).
 *   gauges        the other Rates that are values: latency per operation, idle time,
 *                 KVM instant and peak stats, histogram quantiles (`quantile`). Rates of
 *                 counters (unit x/s) are not written: rate() over the _total gives them.
 *   alerts        qmpipe_alert_firing{type,…} = 2 critical, 1 warning: every firing
 *                 alert in the partition's state at its VM's latest time, each firing transition
 *                 at its time, and Prometheus' stale marker at a resolution.
 *
 * Every series has host, vm and vm_uuid, plus the configured extra labels.
 */
import type { Alert, AlertLabels, Rate } from '#schemas/outputs.js';
import type { Point } from '../../core/outputs.js';
import type { CoreState } from '../../core/state/state.js';
import { promName } from './naming.js';
import type { PromSample, TimeSeries } from './protobuf.js';

export interface BatchInput {
  rates: readonly Rate[];
  points: readonly Point[];
  alerts: readonly Alert[];
}

export interface MappedBatch {
  series: TimeSeries[];
  /** Values whose series has no Prometheus name (left out). */
  unmapped: number;
}

type Labels = Array<[string, string]>;

class SeriesSet {
  private readonly byKey = new Map<string, { labels: Labels; samples: PromSample[] }>();

  add(labels: Labels, sample: PromSample): void {
    labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const key = labels.map(([n, v]) => `${n}\u0000${v}`).join('\u0001');
    const s = this.byKey.get(key);
    if (s) s.samples.push(sample);
    else this.byKey.set(key, { labels, samples: [sample] });
  }

  /** Samples in time order; of two at one time the later added wins. */
  toSeries(): TimeSeries[] {
    const out: TimeSeries[] = [];
    for (const { labels, samples } of this.byKey.values()) {
      const sorted = samples.map((s, i) => [s, i] as const).sort((a, b) => a[0].t - b[0].t || a[1] - b[1]);
      const kept: PromSample[] = [];
      for (const [s] of sorted) {
        if (kept.length > 0 && kept[kept.length - 1]!.t === s.t) kept[kept.length - 1] = s;
        else kept.push(s);
      }
      out.push({ labels, samples: kept });
    }
    return out;
  }
}

function vmLabels(host: string, vm: string, uuid: string, extra: Readonly<Record<string, string>>): Labels {
  return [...Object.entries(extra), ['host', host], ['vm', vm], ['vm_uuid', uuid]];
}

function alertLabels(l: AlertLabels, type: string, extra: Readonly<Record<string, string>>): Labels {
  return [
    ['__name__', 'qmpipe_alert_firing'],
    ...vmLabels(l.host, l.vm, l.vmUuid, extra),
    ['type', type],
    ['device', l.device],
    ['backing_index', l.backingIndex === null ? '' : String(l.backingIndex)],
    ['node', l.node],
    ['block_job', l.job],
  ].filter(([, v]) => v !== '') as Labels;
}

function isCounterRate(r: Rate): boolean {
  return r.unit.endsWith('/s') && !r.series.endsWith('.growth');
}

const CHAIN_SERIES = /^block\.[^.]+\.\d+\./;

export function toTimeSeries(batch: BatchInput, state: CoreState | null, extra: Readonly<Record<string, string>> = {}): MappedBatch {
  const set = new SeriesSet();
  let unmapped = 0;
  for (const p of batch.points) {
    const n = promName(p.series, p.unit, p.type === 'counter');
    if (!n) {
      unmapped++;
      continue;
    }
    const labels = (): Labels => [
      ['__name__', n.name],
      ...vmLabels(p.host, p.vm, p.vmUuid, extra),
      ...n.labels,
      ...(p.node ? [['node', p.node] as [string, string]] : []),
    ];
    if (p.reset && p.t > 0) set.add(labels(), { value: 0, t: p.t - 1 });
    set.add(labels(), { value: p.value, t: p.t });
  }
  for (const r of batch.rates) {
    if (isCounterRate(r) || CHAIN_SERIES.test(r.series)) continue; // from the points
    const n = promName(r.series, r.unit, false);
    if (!n) {
      unmapped++;
      continue;
    }
    set.add([['__name__', n.name], ...vmLabels(r.host, r.vm, r.vmUuid, extra), ...n.labels], { value: r.value, t: r.t });
  }
  for (const a of batch.alerts) {
    const sample = a.state === 'resolved' ? { value: Number.NaN, t: a.t, stale: true } : { value: a.severity === 'critical' ? 2 : 1, t: a.t };
    set.add(alertLabels(a.labels, a.type, extra), sample);
  }
  if (state) {
    for (const vm of Object.values(state.vms)) {
      if (vm.firing === 0) continue;
      // At the VM's own latest time (its records are in order; the partition's clock may be
      // ahead of it, and a later resolution at the VM's time must not be out of order).
      for (const al of Object.values(vm.alerts)) set.add(alertLabels(al.labels, al.type, extra), { value: al.level, t: Math.max(vm.lastRecordT, al.startsAt) });
    }
  }
  return { series: set.toSeries(), unmapped };
}
