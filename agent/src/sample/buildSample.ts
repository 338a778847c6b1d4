/**
 * One `Tick` (raw QMP replies of one fast-group poll, see tick.ts) → one `Sample`.
 *
 * Pure: `buildSample(state, tick) → { state, sample, snapshot? }`. The state carries
 * what outlives a tick: the last slow group (query-named-block-nodes, query-block),
 * which is joined with every fast tick until the next refresh, the current
 * query-stats-schemas snapshot with the hashes already handed out, and the last status
 * read (a tick reads query-status only after an event or on the slow grid: tickPlan.ts).
 *
 * Replies are untrusted: nothing here throws on a bad shape. A failed command is
 * reported as '<command>: <QMP error class>' (from tick.errors), a reply of the wrong
 * shape as '<command>: MalformedReply'; the rest of the sample is still built.
 * `snapshot` is returned with the first sample whose stats reference it: the caller
 * publishes it before the sample (raw.avsc: a snapshot precedes its samples).
 */
import { emptyMemoryStats, type MemoryStats } from '#schemas/memoryStats.js';
import type { Sample, StatsSchemaSnapshot } from '#schemas/types.js';
import { toBlockDevices } from './blockDevices.js';
import { toBlockJobs } from './jobs.js';
import { bool, obj, str } from './json.js';
import { foldMemory, memorySize, sampleMemory } from './memory.js';
import { cpuOf } from './process.js';
import { parseBlockInfo, parseNamedNodes, parseNodeWatermarks, type BlockInfo, type NamedNode } from './nodes.js';
import { encodeStats, type StatsReply } from './stats.js';
import { indexSnapshot, toStatsSchemaSnapshot, type StatsIndex } from './statsSchema.js';
import type { Tick, TickCommand } from './tick.js';

export { toQmpEvent } from './events.js';

export const MALFORMED = 'MalformedReply';

/** The last slow-group data, kept across ticks. */
export interface SlowGroup {
  readonly named: ReadonlyMap<string, NamedNode>;
  readonly blockInfo: readonly BlockInfo[];
}

export interface BuilderState {
  readonly slow: SlowGroup;
  /** The current stats schema snapshot, indexed; null before any query-stats-schemas. */
  readonly stats: StatsIndex | null;
  /** Hashes of snapshots already returned (once per distinct content per instance). */
  readonly published: readonly string[];
  /** The last memory figures read through QMP (the slow group's, and the RAM size read at connect); rss comes with each tick. */
  readonly memory: MemoryStats;
  /** The last query-status read on this connection; absent before the first. */
  readonly status?: { status: string; running: boolean };
}

export interface BuildResult {
  state: BuilderState;
  sample: Sample;
  /** Set when `sample` is the first to reference this snapshot: publish it first. */
  snapshot?: StatsSchemaSnapshot;
}

/** The state of a new QEMU instance (new connection): nothing known yet. */
export function initialBuilderState(): BuilderState {
  return { slow: { named: new Map(), blockInfo: [] }, stats: null, published: [], memory: emptyMemoryStats() };
}

function has(tick: Tick, command: TickCommand): boolean {
  return Object.hasOwn(tick.replies, command);
}

function indexSchemas(stats: StatsIndex | null, reply: unknown, errors: string[]): StatsIndex | null {
  const snapshot = toStatsSchemaSnapshot(reply);
  if (!snapshot) {
    errors.push(`query-stats-schemas: ${MALFORMED}`);
    return stats;
  }
  return stats?.snapshot.hash === snapshot.hash ? stats : indexSnapshot(snapshot);
}

function withSchemas(stats: StatsIndex | null, tick: Tick, errors: string[]): StatsIndex | null {
  return has(tick, 'query-stats-schemas') ? indexSchemas(stats, tick.replies['query-stats-schemas'], errors) : stats;
}

/**
 * Takes a query-stats-schemas reply read outside a tick (at connect). Same as a tick
 * carrying it: the snapshot is handed out with the first sample that references it.
 */
export function withStatsSchemas(state: BuilderState, reply: unknown): { state: BuilderState; errors: string[] } {
  const errors: string[] = [];
  return { state: { ...state, stats: indexSchemas(state.stats, reply, errors) }, errors };
}

function withSlowGroup(slow: SlowGroup, tick: Tick, errors: string[]): { slow: SlowGroup; refreshed: boolean } {
  let { named, blockInfo } = slow;
  let refreshed = false;
  if (has(tick, 'query-named-block-nodes')) {
    const parsed = parseNamedNodes(tick.replies['query-named-block-nodes']);
    if (parsed) [named, refreshed] = [parsed, true];
    else errors.push(`query-named-block-nodes: ${MALFORMED}`);
  }
  if (has(tick, 'query-block')) {
    const parsed = parseBlockInfo(tick.replies['query-block']);
    if (parsed) [blockInfo, refreshed] = [parsed, true];
    else errors.push(`query-block: ${MALFORMED}`);
  }
  return { slow: refreshed ? { named, blockInfo } : slow, refreshed };
}

function statusOf(tick: Tick, errors: string[], last: BuilderState['status']): { status: string; running: boolean } {
  if (!has(tick, 'query-status')) return last ?? { status: 'unknown', running: false };
  const r = obj(tick.replies['query-status']);
  const status = str(r?.['status']);
  const running = bool(r?.['running']);
  if (status === undefined || running === undefined) errors.push(`query-status: ${MALFORMED}`);
  return { status: status ?? 'unknown', running: running ?? false };
}

function statsReplies(tick: Tick): StatsReply[] {
  const out: StatsReply[] = [];
  for (const [key, reply] of Object.entries(tick.replies)) {
    if (key.startsWith('query-stats:')) out.push({ target: key.slice('query-stats:'.length), reply });
  }
  return out;
}

function blockPart(tick: Tick, slow: SlowGroup, errors: string[]): Pick<Sample, 'blockDevices' | 'jobs'> {
  let blockDevices: Sample['blockDevices'] = [];
  if (has(tick, 'query-blockstats')) {
    let watermarks: ReadonlyMap<string, number> = new Map();
    if (has(tick, 'query-blockstats:nodes')) {
      const parsed = parseNodeWatermarks(tick.replies['query-blockstats:nodes']);
      if (parsed) watermarks = parsed;
      else errors.push(`query-blockstats:nodes: ${MALFORMED}`);
    }
    const ctx = {
      named: slow.named,
      blockInfo: slow.blockInfo,
      watermarks,
      blockdevSizes: tick.host.blockdevSizes,
      fileAllocations: tick.host.fileAllocations,
      deviceNames: tick.host.deviceNames,
    };
    const mapped = toBlockDevices(tick.replies['query-blockstats'], ctx);
    if (mapped.malformed) errors.push(`query-blockstats: ${MALFORMED}`);
    blockDevices = mapped.devices;
  }
  let jobs: Sample['jobs'] = [];
  if (has(tick, 'query-block-jobs')) {
    const mapped = toBlockJobs(tick.replies['query-block-jobs']);
    if (mapped.malformed) errors.push(`query-block-jobs: ${MALFORMED}`);
    jobs = mapped.jobs;
  }
  return { blockDevices, jobs };
}

/** The guest's RAM size read at connect (query-memory-size-summary), as a tick carrying it would give it. */
export function withMemorySize(state: BuilderState, reply: unknown): BuilderState {
  const max = memorySize(reply);
  return max === null ? state : { ...state, memory: { ...state.memory, maximumBytes: max } };
}

/** Builds the Sample of one tick. Never throws on reply content. */
export function buildSample(state: BuilderState, tick: Tick): BuildResult {
  const errors = tick.errors.map((e) => `${e.command}: ${e.errorClass}`);
  const statsIndex = withSchemas(state.stats, tick, errors);
  const { slow, refreshed } = withSlowGroup(state.slow, tick, errors);
  const memory = foldMemory(state.memory, tick, errors);
  const encoded = encodeStats(statsIndex, statsReplies(tick));
  for (const target of encoded.malformed) errors.push(`query-stats:${target}: ${MALFORMED}`);
  const status = statusOf(tick, errors, state.status);
  const sample: Sample = {
    ...status,
    stats: encoded.stats,
    ...blockPart(tick, slow, errors),
    net: tick.host.net,
    slowRefresh: refreshed,
    errors,
    cpu: cpuOf(tick.host.process),
    memory: sampleMemory(memory, tick.host.process?.rssKb),
    libvirtState: null, // QMP says only the run state: the processor derives libvirt's numbers
  };
  const hash = encoded.stats?.schemaHash;
  const fresh = statsIndex !== null && hash === statsIndex.snapshot.hash && !state.published.includes(hash);
  const next: BuilderState = { slow, stats: statsIndex, published: fresh ? [...state.published, hash] : state.published, memory, status };
  return fresh ? { state: next, sample, snapshot: statsIndex.snapshot } : { state: next, sample };
}
