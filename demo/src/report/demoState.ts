/**
 * The demo's view state, folded from what the processor publishes: Rate records
 * (rates topic) and Alert transitions (alerts topic). Pure: `applyRate`,
 * `applyAlert` and `addNote` return a new state and never read a clock; the shell
 * (demo/src) feeds them and renders with liveView.ts / htmlReport.ts.
 *
 * Series it understands (libvirt domstats names, see processor/src/core/outputs.ts):
 *   block.<dev>.<i>.{allocation,physical,capacity,free,growth}   chain element i (0 = active layer)
 *   block.<dev>.wr.bytes                                          write rate, bytes/s
 * Everything else is ignored. Times are record (event) times, epoch ms.
 */
import type { Alert, AlertLabels, Rate, Severity } from '#schemas/outputs.js';
import { timeToFull } from '#top/model/frame.js';

export const CHAIN_FIELDS = ['allocation', 'physical', 'capacity', 'free', 'growth'] as const;
export type ChainField = (typeof CHAIN_FIELDS)[number];

/** Latest values of one backing-chain element; null until first seen. */
export interface ElementView {
  index: number;
  /** Time of the newest value of this element. */
  t: number;
  allocation: number | null;
  physical: number | null;
  capacity: number | null;
  free: number | null;
  /** Smoothed growth, bytes/s. */
  growth: number | null;
}

export interface DeviceView {
  dev: string;
  t: number;
  /** bytes/s, from block.<dev>.wr.bytes. */
  writeRate: number | null;
  /** By backing index. */
  chain: Readonly<Record<number, ElementView>>;
}

export interface VmView {
  vm: string;
  t: number;
  devices: Readonly<Record<string, DeviceView>>;
}

/** One point of an element's history (for the chart). */
export interface ElementPoint {
  t: number;
  allocation: number | null;
  physical: number | null;
}

/** An alert transition as the view shows it. */
export interface AlertMark {
  id: string;
  type: string;
  state: 'firing' | 'resolved';
  severity: Severity;
  vm: string;
  /** "vda[1] lv0-format", "vda job commit0", "vda". */
  target: string;
  t: number;
  startsAt: number;
  message: string;
}

/** Something the demo (the operator) did, at a wall-clock time. */
export interface Note {
  at: number;
  text: string;
}

export interface DemoState {
  vms: Readonly<Record<string, VmView>>;
  /** `${vm}|${dev}|${index}` → points in time order. */
  history: Readonly<Record<string, readonly ElementPoint[]>>;
  /** Alerts firing now, by id. */
  firing: Readonly<Record<string, AlertMark>>;
  /** Every transition, in arrival order. */
  transitions: readonly AlertMark[];
  notes: readonly Note[];
  /** Event time of the first and last record seen. */
  firstT: number | null;
  lastT: number | null;
  rates: number;
}

/** Most points kept per element; past it every other old point is dropped. */
export const MAX_POINTS = 2_000;
const MAX_NOTES = 200;

export function initialDemoState(): DemoState {
  return { vms: {}, history: {}, firing: {}, transitions: [], notes: [], firstT: null, lastT: null, rates: 0 };
}

export function historyKey(vm: string, dev: string, index: number): string {
  return `${vm}|${dev}|${index}`;
}

type Parsed = { dev: string; index: number; field: ChainField } | { dev: string; index: null; field: 'write' };

/** block.vda.1.allocation → {dev vda, index 1, field allocation}; block.vda.wr.bytes → write. */
export function parseSeries(series: string): Parsed | null {
  const chain = /^block\.([^.]+)\.(\d+)\.(allocation|physical|capacity|free|growth)$/.exec(series);
  if (chain) return { dev: chain[1]!, index: Number(chain[2]), field: chain[3] as ChainField };
  const wr = /^block\.([^.]+)\.wr\.bytes$/.exec(series);
  return wr ? { dev: wr[1]!, index: null, field: 'write' } : null;
}

function spanOf(s: DemoState, t: number): Pick<DemoState, 'firstT' | 'lastT'> {
  return { firstT: s.firstT === null ? t : Math.min(s.firstT, t), lastT: s.lastT === null ? t : Math.max(s.lastT, t) };
}

function emptyElement(index: number, t: number): ElementView {
  return { index, t, allocation: null, physical: null, capacity: null, free: null, growth: null };
}

function withDevice(s: DemoState, vm: string, dev: string, t: number, f: (d: DeviceView) => DeviceView): Readonly<Record<string, VmView>> {
  const v = s.vms[vm] ?? { vm, t, devices: {} };
  const d = v.devices[dev] ?? { dev, t, writeRate: null, chain: {} };
  const next = f(d);
  return { ...s.vms, [vm]: { ...v, t: Math.max(v.t, t), devices: { ...v.devices, [dev]: { ...next, t: Math.max(next.t, t) } } } };
}

/** Halves the older part of a too-long history (keeps the newest half at full resolution). */
export function capPoints(points: readonly ElementPoint[], max = MAX_POINTS): readonly ElementPoint[] {
  if (points.length <= max) return points;
  const half = Math.floor(points.length / 2);
  return [...points.slice(0, half).filter((_, i) => i % 2 === 0), ...points.slice(half)];
}

function withPoint(s: DemoState, key: string, t: number, e: ElementView): Readonly<Record<string, readonly ElementPoint[]>> {
  const pts = s.history[key] ?? [];
  const last = pts[pts.length - 1];
  const point = { t, allocation: e.allocation, physical: e.physical };
  if (last && last.t === t) return { ...s.history, [key]: [...pts.slice(0, -1), point] };
  if (last && last.t > t) return s.history; // out of order: the chart only moves forward
  return { ...s.history, [key]: capPoints([...pts, point]) };
}

export function applyRate(s: DemoState, r: Rate): DemoState {
  const p = parseSeries(r.series);
  if (!p) return { ...s, ...spanOf(s, r.t), rates: s.rates + 1 };
  const base = { ...s, ...spanOf(s, r.t), rates: s.rates + 1 };
  if (p.index === null) {
    return { ...base, vms: withDevice(s, r.vm, p.dev, r.t, (d) => (r.t >= d.t || d.writeRate === null ? { ...d, writeRate: r.value } : d)) };
  }
  const idx = p.index;
  const old = s.vms[r.vm]?.devices[p.dev]?.chain[idx] ?? emptyElement(idx, r.t);
  if (r.t < old.t) return base;
  const el: ElementView = { ...old, t: r.t, [p.field]: r.value };
  const vms = withDevice(s, r.vm, p.dev, r.t, (d) => ({ ...d, chain: { ...d.chain, [idx]: el } }));
  const history = p.field === 'allocation' || p.field === 'physical' ? withPoint(s, historyKey(r.vm, p.dev, idx), r.t, el) : s.history;
  return { ...base, vms, history };
}

/** "vda[1] lv0-format", "vda job commit0", "vda", or "" for VM-level alerts. */
export function alertTarget(l: AlertLabels): string {
  const dev = l.device + (l.backingIndex === null ? '' : `[${l.backingIndex}]`);
  const what = l.blockJob ? `job ${l.blockJob}` : l.node;
  return [dev, what].filter(Boolean).join(' ');
}

export function toMark(a: Alert): AlertMark {
  return {
    id: a.id,
    type: a.type,
    state: a.state,
    severity: a.severity,
    vm: a.labels.vm,
    target: alertTarget(a.labels),
    t: a.t,
    startsAt: a.startsAt,
    message: a.message,
  };
}

export function applyAlert(s: DemoState, a: Alert): DemoState {
  const m = toMark(a);
  const firing = { ...s.firing };
  if (m.state === 'firing') firing[m.id] = m;
  else delete firing[m.id];
  return { ...s, ...spanOf(s, a.t), firing, transitions: [...s.transitions, m] };
}

export function addNote(s: DemoState, at: number, text: string): DemoState {
  const notes = [...s.notes, { at, text }];
  return { ...s, notes: notes.length > MAX_NOTES ? notes.slice(-MAX_NOTES) : notes };
}

/** Elements of a device shown now: those updated within `freshMs` of the device's newest value, by index. */
export function currentChain(d: DeviceView, freshMs = 2_500): ElementView[] {
  return Object.values(d.chain)
    .filter((e) => e.t >= d.t - freshMs)
    .sort((a, b) => a.index - b.index);
}

/** Seconds until the element is full at its current growth; null when not growing (or unknown). 0 when full. */
export function timeToFullSeconds(e: ElementView, minGrowth = 4_096): number | null {
  return timeToFull(e.free, e.growth, minGrowth);
}

/** Alert types seen, each with the states it was seen in (e.g. paused-enospc → firing,resolved). */
export function alertTypesSeen(s: DemoState): Map<string, Set<'firing' | 'resolved'>> {
  const out = new Map<string, Set<'firing' | 'resolved'>>();
  for (const m of s.transitions) (out.get(m.type) ?? out.set(m.type, new Set()).get(m.type)!).add(m.state);
  return out;
}
