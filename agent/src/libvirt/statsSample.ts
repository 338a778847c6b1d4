/**
 * The `stats` mode's Sample, pure: one domain's virConnectGetAllDomainStats record
 * (groups state, block with VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING, vcpu, interface,
 * vm) → the same Sample the `qmp` mode builds from QMP replies, as far as libvirt's
 * supported API carries it (field names: libvirt's docs of virConnectGetAllDomainStats):
 *
 * - state.state/.reason → status and running (paused for an I/O error → `io-error`), and
 *   as they are (`libvirtState`: the processor's state series use libvirt's own reason).
 * - block.N.* with backing: the entries of one disk come top first, then its backing
 *   images; a chain element's depth is its place in that run. libvirt gives no node
 *   names here, so an image is named by libvirt's own id, `vda[1]` (`name[backingIndex]`):
 *   a snapshot gives the top a new id, which the processor sees as a new element, as a
 *   new node name would be. Counters come on the top entry only, `block.N.<libvirt>` for
 *   the rows of the block counter table libvirt has (#schemas/blockCounters.ts); libvirt
 *   has no failed or invalid operation counts, no merged or unmap counters (zero here).
 * - The image's format and whether it sits on a block device come from the domain XML
 *   (`images`), as libvirt's stats do not say.
 * - vcpu.N.<stat>.sum|cur|max and vm.<stat>.* are KVM's query-stats scalars (libvirt
 *   ≥ 8.9); histograms are not carried and there are no units: `statsSnapshot` describes
 *   them from their suffix (sum → cumulative, cur → instant, max → peak) with no unit,
 *   so they become series in raw units. vcpu.N.time/wait/delay are libvirt's own.
 * - net.N.* → the interface's counters (libvirt reports guest-view rx/tx).
 * - cpu.time/user/system and vcpu.N.time → the CPU times, balloon.* → the memory (statsVm.ts).
 */
import { LIBVIRT_BLOCK_COUNTERS, emptyBlockCounters } from '#schemas/blockCounters.js';
import type { BlockCounters, BlockDevice, ChainElement, NetInterface, Sample, StatDescriptor, StatsResult, StatsSchemaSnapshot } from '#schemas/types.js';
import { schemasHash } from '../sample/statsSchema.js';
import { DomainState } from './constants.js';
import { cpuFromStats, memoryFromStats } from './statsVm.js';
import type { TypedParam, TypedParamValue } from './typedParams.js';

/** What the domain XML says of one image: by libvirt's image id (`vda[1]`) or, for the top, the disk target. */
export interface ImageFacts {
  format: string;
  /** The image sits on a block device (LV, loop) rather than a file. */
  blockDevice: boolean;
}

/** virDomainPausedReason VIR_DOMAIN_PAUSED_IOERROR (libvirt-domain.h). */
const PAUSED_IOERROR = 5;

function num(v: TypedParamValue | undefined): number | undefined {
  if (!v) return undefined;
  if (v.type === 'boolean') return v.value ? 1 : 0;
  if (v.type === 'string') return undefined;
  return Number(v.value);
}

function str(v: TypedParamValue | undefined): string | undefined {
  return v?.type === 'string' ? v.value : undefined;
}

function statusOf(p: ReadonlyMap<string, TypedParamValue>): { status: string; running: boolean } {
  const state = num(p.get('state.state'));
  const reason = num(p.get('state.reason'));
  if (state === DomainState.RUNNING) return { status: 'running', running: true };
  if (state === DomainState.PAUSED) return { status: reason === PAUSED_IOERROR ? 'io-error' : 'paused', running: false };
  if (state === DomainState.SHUTDOWN || state === DomainState.SHUTOFF) return { status: 'shutdown', running: false };
  return { status: 'unknown', running: false };
}

/** libvirt's own state and reason, carried as they are (the processor's state.state/.reason use them). */
function libvirtStateOf(p: ReadonlyMap<string, TypedParamValue>): Sample['libvirtState'] {
  const state = num(p.get('state.state'));
  const reason = num(p.get('state.reason'));
  return state === undefined || reason === undefined ? null : { state, reason };
}

function counters(p: ReadonlyMap<string, TypedParamValue>, i: number): BlockCounters {
  const c = emptyBlockCounters();
  for (const r of LIBVIRT_BLOCK_COUNTERS) {
    const v = num(p.get(`block.${i}.${r.libvirt}`));
    if (v !== undefined) c[r.field] = v;
  }
  return c;
}

function element(p: ReadonlyMap<string, TypedParamValue>, i: number, depth: number, dev: string, images: Readonly<Record<string, ImageFacts>>): ChainElement {
  const id = num(p.get(`block.${i}.backingIndex`));
  const node = id === undefined ? `${dev}[top]` : `${dev}[${id}]`;
  const facts = images[node] ?? (depth === 0 ? images[dev] : undefined);
  const allocation = num(p.get(`block.${i}.allocation`));
  const physical = num(p.get(`block.${i}.physical`)) ?? null;
  const onDevice = facts?.blockDevice ?? false;
  return {
    backingIndex: depth,
    formatNode: node,
    formatDriver: facts?.format ?? 'unknown',
    storageNode: null,
    storageDriver: onDevice ? 'host_device' : 'file',
    filename: str(p.get(`block.${i}.path`)) ?? '',
    allocation: allocation ?? 0,
    allocationValid: allocation !== undefined,
    capacity: num(p.get(`block.${i}.capacity`)) ?? null,
    physical,
    physicalSource: physical === null ? 'UNKNOWN' : onDevice ? 'HOST_DEVICE_SIZE' : 'ACTUAL_SIZE',
    actualSize: onDevice ? null : physical,
    storageVirtualSize: null,
    writeThreshold: num(p.get(`block.${i}.threshold`)) ?? 0,
  };
}

function blockDevices(p: ReadonlyMap<string, TypedParamValue>, images: Readonly<Record<string, ImageFacts>>): BlockDevice[] {
  const out: BlockDevice[] = [];
  const count = num(p.get('block.count')) ?? 0;
  for (let i = 0; i < count; i++) {
    const dev = str(p.get(`block.${i}.name`));
    if (dev === undefined) continue;
    const cur = out[out.length - 1];
    if (cur && cur.dev === dev) {
      cur.chain.push(element(p, i, cur.chain.length, dev, images));
      continue;
    }
    out.push({ dev, device: dev, qdev: null, nodeName: null, ioStatus: null, counters: counters(p, i), extra: {}, chain: [element(p, i, 0, dev, images)] });
  }
  return out;
}

function interfaces(p: ReadonlyMap<string, TypedParamValue>): NetInterface[] {
  const out: NetInterface[] = [];
  const count = num(p.get('net.count')) ?? 0;
  for (let i = 0; i < count; i++) {
    const g = (k: string): number => num(p.get(`net.${i}.${k}`)) ?? 0;
    const name = str(p.get(`net.${i}.name`));
    if (name === undefined) continue;
    out.push({
      name,
      rxBytes: g('rx.bytes'),
      rxPackets: g('rx.pkts'),
      rxErrors: g('rx.errs'),
      rxDropped: g('rx.drop'),
      txBytes: g('tx.bytes'),
      txPackets: g('tx.pkts'),
      txErrors: g('tx.errs'),
      txDropped: g('tx.drop'),
    });
  }
  return out;
}

const KVM_STAT = /^(vm|vcpu\.(\d+))\.([A-Za-z0-9_]+)\.(sum|cur|max)$/;
const V = 0x76;
const TYPE_OF = { sum: 'cumulative', cur: 'instant', max: 'peak' } as const;

/** KVM's scalars libvirt passes on, by target ('vm', or 'vcpu' with its number), in field order. */
export function kvmStats(params: readonly TypedParam[]): Map<string, Array<{ name: string; type: StatDescriptor['type']; value: number }>> {
  const out = new Map<string, Array<{ name: string; type: StatDescriptor['type']; value: number }>>();
  for (const { field, value } of params) {
    if (field.charCodeAt(0) !== V) continue; // vm.* and vcpu.*: skips the regex for the block, net and state fields
    const m = KVM_STAT.exec(field);
    if (!m) continue;
    const v = num(value);
    if (v === undefined) continue;
    const key = m[2] === undefined ? 'vm' : `vcpu${m[2]}`;
    let list = out.get(key);
    if (!list) out.set(key, (list = []));
    list.push({ name: m[3]!, type: TYPE_OF[m[4] as keyof typeof TYPE_OF], value: v });
  }
  return out;
}

/**
 * Snapshots already built, by the names and types they describe. A stats record has a
 * hundred-odd KVM scalars and the same ones every tick, on every domain of one QEMU build;
 * hashing their canonical JSON each tick was about 14 % of the agent's main thread in
 * stats mode (fleet-cost profile at 50 domains). Memoisation of a pure function: bounded,
 * and the result is the same object for the same input.
 */
const SNAPSHOTS = new Map<string, StatsSchemaSnapshot>();
const MAX_SNAPSHOTS = 16;

/** The snapshot describing libvirt's KVM scalars (no units, no histograms), or null when there are none. */
export function statsSnapshot(stats: ReadonlyMap<string, ReadonlyArray<{ name: string; type: StatDescriptor['type'] }>>): StatsSchemaSnapshot | null {
  if (LAST && describes(LAST, stats)) return LAST;
  let key = '';
  const seen = new Set<string>();
  for (const [k, list] of stats) {
    const target = k === 'vm' ? 'vm' : 'vcpu';
    if (seen.has(target)) continue;
    seen.add(target);
    key += `${target}:`;
    for (const x of list) key += `${x.name}/${x.type},`;
    key += ';';
  }
  if (key === '') return null;
  const known = SNAPSHOTS.get(key);
  if (known) return (LAST = known);
  const built = buildSnapshot(stats);
  if (SNAPSHOTS.size >= MAX_SNAPSHOTS) SNAPSHOTS.delete(SNAPSHOTS.keys().next().value!);
  SNAPSHOTS.set(key, built);
  return (LAST = built);
}

/**
 * The snapshot returned last: every domain of a host gives the same stats in the same
 * order, so the check below (no key built, nothing allocated) answers almost every call.
 */
let LAST: StatsSchemaSnapshot | undefined;

/** Whether `snap` describes exactly these stats: the targets present, and each one's first list, name and type in order. */
function describes(snap: StatsSchemaSnapshot, stats: ReadonlyMap<string, ReadonlyArray<{ name: string; type: StatDescriptor['type'] }>>): boolean {
  const vcpu = firstVcpu(stats);
  if (snap.schemas.length !== (stats.has('vm') ? 1 : 0) + (vcpu ? 1 : 0)) return false;
  for (const schema of snap.schemas) {
    const list = schema.target === 'vm' ? stats.get('vm') : vcpu;
    if (!list || list.length !== schema.stats.length) return false;
    for (let i = 0; i < list.length; i++) if (list[i]!.name !== schema.stats[i]!.name || list[i]!.type !== schema.stats[i]!.type) return false;
  }
  return true;
}

function firstVcpu<T>(stats: ReadonlyMap<string, T>): T | undefined {
  for (const [k, v] of stats) if (k !== 'vm') return v;
  return undefined;
}

function buildSnapshot(stats: ReadonlyMap<string, ReadonlyArray<{ name: string; type: StatDescriptor['type'] }>>): StatsSchemaSnapshot {
  const byTarget = new Map<string, StatDescriptor[]>();
  for (const [key, list] of stats) {
    const target = key === 'vm' ? 'vm' : 'vcpu';
    if (byTarget.has(target)) continue; // every vCPU has the same stats: the first one describes them
    byTarget.set(
      target,
      list.map((s) => ({ name: s.name, type: s.type, unit: null, base: 10, exponent: 0, bucketSize: null })),
    );
  }
  const schemas = [...byTarget].sort(([a], [b]) => a.localeCompare(b)).map(([target, stats]) => ({ provider: 'kvm', target, stats }));
  return { hash: schemasHash(schemas), schemas };
}

/** The values of `list` in the order of `stats` (-1 for one it lacks); in the same order already, without a lookup. */
function valuesInOrder(list: ReadonlyArray<{ name: string; value: number }>, stats: readonly StatDescriptor[]): number[] {
  if (list.length === stats.length && list.every((s, i) => s.name === stats[i]!.name)) return list.map((s) => s.value);
  const byName = new Map(list.map((s) => [s.name, s.value]));
  return stats.map((d) => byName.get(d.name) ?? -1);
}

/** One domain's stats record → a Sample (and the snapshot its KVM stats refer to). */
export function statsToSample(
  params: readonly TypedParam[],
  images: Readonly<Record<string, ImageFacts>>,
): { sample: Sample; snapshot: StatsSchemaSnapshot | null } {
  const p = new Map<string, TypedParamValue>();
  for (const x of params) p.set(x.field, x.value); // no [field, value] pair per param
  const kvm = kvmStats(params);
  const snapshot = statsSnapshot(kvm);
  let stats: Sample['stats'] = null;
  if (snapshot) {
    const results: StatsResult[] = [];
    for (const [key, list] of kvm) {
      const target = key === 'vm' ? 'vm' : 'vcpu';
      const schema = snapshot.schemas.find((s) => s.target === target)!;
      results.push({ target, provider: 'kvm', qomPath: key === 'vm' ? null : key, values: valuesInOrder(list, schema.stats), extra: [] });
    }
    stats = { schemaHash: snapshot.hash, results };
  }
  const sample: Sample = {
    ...statusOf(p),
    stats,
    blockDevices: blockDevices(p, images),
    jobs: [],
    net: interfaces(p),
    slowRefresh: true,
    errors: [],
    cpu: cpuFromStats(params, p),
    memory: memoryFromStats(p),
    libvirtState: libvirtStateOf(p),
  };
  return { sample, snapshot };
}
