/**
 * The processor's per-partition state: a plain JSON value (numbers, strings,
 * arrays, records), so it can be checkpointed and restored exactly. Derived data
 * (layouts built from snapshots) lives in the CoreContext cache, never here.
 *
 * Names are data: every table keyed by a name from a VM, QEMU or libvirt (uuids, hosts,
 * schema hashes, QOM paths, devices, job ids, alert keys) is a `NameTable`, an object
 * without a prototype, created by `nameTable()` and never `{}` (common/src/names.ts).
 */
import { nameTable, toNameTable, type NameTable } from '#common/names.js';
import type { StatsSchemaSnapshot } from '#schemas/types.js';
import type { AlertTable } from '../alerts/machine.js';
import type { GrowthState } from '../chain/growth.js';
import type { SeriesBlock } from '../series/seriesBlock.js';

/** Named counters (docs/style.md, "Telemetry as named counters"): what the core dropped, reset or evicted. */
export interface CoreCounters {
  records: number;
  samples: number;
  /** Cumulative slots (or chain elements) that reset: decrease, new instance, new node. */
  counterResets: number;
  /** Sample intervals longer than gapMultiple × interval. */
  gaps: number;
  /** Samples with Δt ≤ 0, dropped. */
  nonPositiveDt: number;
  /** Stats of a sample whose snapshot was never seen, or that do not fit it. */
  statsWithoutSnapshot: number;
  /** NamedStat extras (stats absent from the snapshot): carried but not normalized. */
  extraStats: number;
  /** Series not created because of the cardinality cap. */
  seriesOverflow: number;
  /** VMs evicted by the TTL. */
  evictedVms: number;
  /** Events with unparsable data. */
  malformedEvents: number;
  /** Records refused: stamped too far ahead of the partition's clock (clock/admission.ts). */
  clockAhead: number;
  /** Records refused: stamped too far before their VM's last record. */
  clockBehind: number;
  /** Records refused: their host's clock is more than clock.maxSkewMs off the broker's (clock/skew.ts). */
  clockSkew: number;
  /** Records a VM's seq skipped within one agent run: lost between agent and core (vm/sequence.ts). */
  recordsMissing: number;
  /** Records whose seq was not above their run's last one: re-sent or out of order (still processed). */
  recordsDuplicate: number;
  /** Records that began a new agent run of their VM (an agent restart), not counted as a gap. */
  agentRuns: number;
}

/** One host's clock as its admitted records tell it (clock/hosts.ts). */
export interface HostClock {
  /** The latest record time admitted from the host. */
  clock: number;
  /** The partition's clock when the host's last record was admitted: a silent host falls behind it. */
  seenAt: number;
  /** More than hostLagMs behind the partition's clock at the last check: windows do not wait for it. */
  lagging: boolean;
}

/** One host's clock offset against the broker's append time (clock/skew.ts). */
export interface HostSkew {
  host: string;
  /** Start of the newest bucket of append time holding one of the host's records (-1 none). */
  bucket: number;
  /** Per bucket (newest last, at most SKEW_BUCKETS): the largest record time − append time in it. */
  maxima: number[];
  /** The measured offset (ms; positive: the host's clock is ahead): the median of `maxima`. */
  estimate: number;
  /** The offset taken off the host's record times (ms; 0 within the tolerance). */
  applied: number;
  /** The latest append time of the host's records. */
  lastAppendT: number;
  /** The host's clock-skew alert, while firing. */
  alerts: AlertTable;
}

/** One resolution's window of a VM's records (vm/sequence.ts); start -1: none open. */
export interface RecordWindow {
  start: number;
  /** Records of the VM that came. */
  records: number;
  /** Records its seq skipped. */
  missing: number;
  /** New agent runs begun. */
  runs: number;
}

/** A VM's record sequence: the agent run and the highest seq seen of it. */
export interface SeqState {
  /** The run id ('' for an agent without run ids). */
  run: string;
  /** The highest seq seen in `run`; -1 nothing known (a new VM, a restored older checkpoint). */
  last: number;
  /** Per resolution, created as the first record comes. */
  win: RecordWindow[];
}

/** A chain element's open window. Numbers only (no nulls: fields stay unboxed doubles); -1 / NO_FREE = none. */
export interface ChainWindow {
  start: number;
  samples: number;
  maxAllocation: number;
  /** NO_FREE when no sample had a free value. */
  minFree: number;
  maxGrowth: number;
  physicalEnd: number;
}

/** minFree of a window without free values (free can be negative, so -1 cannot mean none). */
export const NO_FREE = Number.MAX_SAFE_INTEGER;

/** One backing-chain position (device, depth) and the nodes currently there. */
export interface ChainState {
  formatNode: string;
  storageNode: string;
  filename: string;
  /** Time of the last sample of this element; -1 after a reset. */
  t: number;
  /** Last allocation (wr_highest_offset), -1 unknown. */
  allocation: number;
  growth: GrowthState;
  /** Offset a BLOCK_WRITE_THRESHOLD proved written: authoritative until a poll passes it (-1 none). */
  eventFloor: number;
  /** Last allocation before a QEMU restart (warm-up): used while the new one is lower (-1 none). */
  warmFloor: number;
  win: ChainWindow[];
}

export interface DeviceInfo {
  dev: string;
  device: string;
  qdev: string;
  node: string;
}

export interface JobState {
  type: string;
  status: string;
  len: number;
  offset: number;
  errors: number;
}

export interface PauseState {
  /** Record time and QEMU time (µs) of the event that paused the VM. */
  t: number;
  us: number;
}

export interface VmState {
  host: string;
  name: string;
  uuid: string;
  instanceId: string;
  /** Time of the last Sample, -1 none. */
  lastT: number;
  /** Time of the last record of any kind. */
  lastRecordT: number;
  status: string;
  running: boolean;
  /** A SHUTDOWN event was seen: the VM is going away, not stale. */
  shutdown: boolean;
  schemaHash: string;
  /** vCPU number by QOM path, in natural order of first appearance. */
  vcpus: NameTable<number>;
  blocks: NameTable<SeriesBlock>;
  chains: NameTable<ChainState[]>;
  devices: DeviceInfo[];
  jobs: NameTable<JobState>;
  alerts: AlertTable;
  /** Number of entries in `alerts` (kept with it: checking it needs no walk of the table). */
  firing: number;
  pause: PauseState | null;
  /** Series this VM holds (counted against the cap). */
  series: number;
  seq: SeqState;
}

export interface CoreState {
  v: 1;
  /** The partition's event-time clock: the largest record time admitted, -1 none. */
  clock: number;
  /** Clocks of the hosts whose VMs the partition holds. */
  hosts: NameTable<HostClock>;
  /** Clock offsets of the hosts seen with a broker timestamp (the partition step's input). */
  skews: HostSkew[];
  /** Clock value at which the next stale/TTL sweep runs. */
  nextSweep: number;
  series: number;
  snapshots: NameTable<StatsSchemaSnapshot>;
  vms: NameTable<VmState>;
  counters: CoreCounters;
}

export function initialState(): CoreState {
  return {
    v: 1,
    clock: -1,
    hosts: nameTable(),
    skews: [],
    nextSweep: -1,
    series: 0,
    snapshots: nameTable(),
    vms: nameTable(),
    counters: {
      records: 0,
      samples: 0,
      counterResets: 0,
      gaps: 0,
      nonPositiveDt: 0,
      statsWithoutSnapshot: 0,
      extraStats: 0,
      seriesOverflow: 0,
      evictedVms: 0,
      malformedEvents: 0,
      clockAhead: 0,
      clockBehind: 0,
      clockSkew: 0,
      recordsMissing: 0,
      recordsDuplicate: 0,
      agentRuns: 0,
    },
  };
}

export function newVm(host: string, name: string, uuid: string, instanceId: string): VmState {
  return {
    host,
    name,
    uuid,
    instanceId,
    lastT: -1,
    lastRecordT: -1,
    status: '',
    running: true,
    shutdown: false,
    schemaHash: '',
    vcpus: nameTable(),
    blocks: nameTable(),
    chains: nameTable(),
    devices: [],
    jobs: nameTable(),
    alerts: nameTable(),
    firing: 0,
    pause: null,
    series: 0,
    seq: unknownSeq(),
  };
}

/** A VM's sequence with nothing known yet: its next record is never a gap. */
export function unknownSeq(): SeqState {
  return { run: '', last: -1, win: [] };
}

/**
 * A state parsed from JSON (a checkpoint) with its name-keyed tables made NameTables
 * again, in place: JSON.parse keeps a `__proto__` key as an own entry, but gives every
 * table Object's prototype back.
 */
export function withNameTables(state: CoreState): CoreState {
  state.hosts = toNameTable(state.hosts);
  state.snapshots = toNameTable(state.snapshots);
  state.vms = toNameTable(state.vms);
  for (const uuid in state.vms) {
    const vm = state.vms[uuid]!;
    vm.vcpus = toNameTable(vm.vcpus);
    vm.blocks = toNameTable(vm.blocks);
    vm.chains = toNameTable(vm.chains);
    vm.jobs = toNameTable(vm.jobs);
    vm.alerts = toNameTable(vm.alerts);
  }
  return state;
}
