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
 *                 at its time, and Prometheus' stale marker at a resolution. Labelled by
 *                 what the alert is about (device, image, block_job, as in Alertmanager), so
 *                 a snapshot moving the image down its chain keeps its series.
 *
 * Every series has host, vm and vm_uuid, plus the configured extra labels.
 */
import type { Alert, AlertLabels, Rate } from '#schemas/outputs.js';
import type { Point } from '../../core/outputs.js';
import type { CoreState } from '../../core/state/state.js';
import { promName } from './naming.js';
import { encodeLabels, type PromSample, type TimeSeries } from './protobuf.js';

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

/** A series' sorted labels and their identity (the key samples are grouped by). */
interface SeriesId {
  labels: Labels;
  key: string;
  /** The labels protobuf-encoded, once per series (encodeLabels). */
  labelBytes: Buffer;
}

function seriesId(labels: Labels): SeriesId {
  labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { labels, key: labels.map(([n, v]) => `${n}\u0000${v}`).join('\u0001'), labelBytes: encodeLabels(labels) };
}

/**
 * Memo of each core series' Prometheus identity (null: no mapping), so the steady state
 * (one sample per series per batch) builds one short key per sample instead of parsing the
 * series name, building and sorting labels. Derived data only: clearing it changes nothing
 * but speed; it is cleared when it reaches `max` entries (series come and go with VMs).
 */
export class LabelCache {
  private readonly map = new Map<string, SeriesId | null>();

  constructor(private readonly max = 1_000_000) {}

  get(key: string, build: () => SeriesId | null): SeriesId | null {
    let id = this.map.get(key);
    if (id === undefined) {
      if (this.map.size >= this.max) this.map.clear();
      id = build();
      this.map.set(key, id);
    }
    return id;
  }
}

class SeriesSet {
  private readonly byKey = new Map<string, { id: SeriesId; samples: PromSample[] }>();

  add(id: SeriesId, sample: PromSample): void {
    const s = this.byKey.get(id.key);
    if (s) s.samples.push(sample);
    else this.byKey.set(id.key, { id, samples: [sample] });
  }

  /** Samples in time order; of two at one time the later added wins. */
  toSeries(): TimeSeries[] {
    const out: TimeSeries[] = [];
    for (const { id, samples } of this.byKey.values()) {
      if (samples.length === 1) {
        out.push({ labels: id.labels, labelBytes: id.labelBytes, samples });
        continue;
      }
      const sorted = samples.map((s, i) => [s, i] as const).sort((a, b) => a[0].t - b[0].t || a[1] - b[1]);
      const kept: PromSample[] = [];
      for (const [s] of sorted) {
        if (kept.length > 0 && kept[kept.length - 1]!.t === s.t) kept[kept.length - 1] = s;
        else kept.push(s);
      }
      out.push({ labels: id.labels, labelBytes: id.labelBytes, samples: kept });
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
    ['image', l.image],
    ['block_job', l.blockJob],
  ].filter(([, v]) => v !== '') as Labels;
}

function isCounterRate(r: Rate): boolean {
  return r.unit.endsWith('/s') && !r.series.endsWith('.growth');
}

const CHAIN_SERIES = /^block\.[^.]+\.\d+\./;

function pointId(p: Point, extra: Readonly<Record<string, string>>): SeriesId | null {
  const n = promName(p.series, p.unit, p.type === 'counter');
  if (!n) return null;
  const node: Labels = p.node ? [['node', p.node]] : [];
  return seriesId([['__name__', n.name], ...vmLabels(p.host, p.vm, p.vmUuid, extra), ...n.labels, ...node]);
}

function rateId(r: Rate, extra: Readonly<Record<string, string>>): SeriesId | null {
  const n = promName(r.series, r.unit, false);
  return n ? seriesId([['__name__', n.name], ...vmLabels(r.host, r.vm, r.vmUuid, extra), ...n.labels]) : null;
}

/** `cache`: the sink's memo of series identities (a fresh one per call without it). */
export function toTimeSeries(batch: BatchInput, state: CoreState | null, extra: Readonly<Record<string, string>> = {}, cache = new LabelCache()): MappedBatch {
  const set = new SeriesSet();
  let unmapped = 0;
  for (const p of batch.points) {
    const id = cache.get(`p\u0000${p.vmUuid}\u0000${p.host}\u0000${p.vm}\u0000${p.series}\u0000${p.unit}\u0000${p.type}\u0000${p.node ?? ''}`, () =>
      pointId(p, extra),
    );
    if (!id) {
      unmapped++;
      continue;
    }
    if (p.reset && p.t > 0) set.add(id, { value: 0, t: p.t - 1 });
    set.add(id, { value: p.value, t: p.t });
  }
  for (const r of batch.rates) {
    if (isCounterRate(r) || CHAIN_SERIES.test(r.series)) continue; // from the points
    const id = cache.get(`r\u0000${r.vmUuid}\u0000${r.host}\u0000${r.vm}\u0000${r.series}\u0000${r.unit}`, () => rateId(r, extra));
    if (!id) {
      unmapped++;
      continue;
    }
    set.add(id, { value: r.value, t: r.t });
  }
  for (const a of batch.alerts) {
    const sample = a.state === 'resolved' ? { value: Number.NaN, t: a.t, stale: true } : { value: a.severity === 'critical' ? 2 : 1, t: a.t };
    set.add(seriesId(alertLabels(a.labels, a.type, extra)), sample);
  }
  if (state) {
    for (const vm of Object.values(state.vms)) {
      if (vm.firing === 0) continue;
      // At the VM's own latest time (its records are in order; the partition's clock may be
      // ahead of it, and a later resolution at the VM's time must not be out of order).
      for (const al of Object.values(vm.alerts))
        set.add(seriesId(alertLabels(al.labels, al.type, extra)), { value: al.level, t: Math.max(vm.lastRecordT, al.startsAt) });
    }
  }
  return { series: set.toSeries(), unmapped };
}
