/**
 * Transcript lines → ticks and events, segmented the way the live poller groups them.
 *
 * Pure reducer: `segment(state, line) → { state, segments }`, then `endSegments(state)`.
 *
 * - `out` commands are remembered by id; an `in` reply is routed to its command by id
 *   (replies with an unknown id are dropped, as qmp-spec says).
 * - A tick opens at its first tick command. A new tick starts at an `out` of a command
 *   a tick opens with (`query-status`, or, on the ticks that read no status, a
 *   `query-stats` or the device-mode `query-blockstats`: agent/src/poller/tickPlan.ts)
 *   when the open tick already holds a device-mode `query-blockstats` reply; the tick's
 *   `t` is that reply's arrival time. Ticks that never got one (e.g. cut by EOF or a
 *   reconnect) are dropped.
 * - `host` `blockdev-size` and `file-allocation` lines update path → bytes maps; each
 *   tick carries them as they are when the tick closes. `net-stats` lines belong to the
 *   open tick (the recorder reads the taps after the tick's replies), and so does a
 *   `process-stats` line (the QEMU process's CPU and memory, read after the taps).
 * - Startup replies (query-version/-name/-uuid/-cpus-fast) and the `qemu-process` host
 *   line feed the identity; a greeting starts a new connection. Other commands (cont, blockdev-add, quit…) are
 *   the recording operator's: ignored and counted.
 * - Ordering: a Sample goes right after the last line of its tick. Events that arrive
 *   after that line are held and emitted after the tick, events before it ahead of it.
 */
import type { JsonObject } from '#agent/sample/json.js';
import { isEventMessage } from '#agent/sample/events.js';
import { obj, str } from '#agent/sample/json.js';
import type { ProcessStats, Tick, TickCommand, TickError } from '#agent/sample/tick.js';
import type { QemuProcess } from '#agent/sample/identity.js';
import type { NetInterface } from '#schemas/types.js';
import {
  blockdevSize,
  deviceNames,
  idKey,
  netStats,
  parseTranscriptLine,
  processStats,
  qemuProcess,
  routeCommand,
  type Routed,
  type StartupCommand,
  type TranscriptLine,
} from './transcript.js';

/** What one connection told about the VM, for its identity. */
export interface Startup {
  connectTime: number;
  greeting?: unknown;
  replies: Partial<Record<StartupCommand, unknown>>;
  /** The `qemu-process` host line of the connection, when the recorder could read it. */
  process?: QemuProcess;
}

export type Segment =
  | { kind: 'tick'; tick: Tick; startup: Startup }
  | { kind: 'event'; t: number; msg: JsonObject }
  /** A greeting: the previous connection (if any) ended. */
  | { kind: 'connect'; t: number; previous: Startup | null };

interface OpenTick {
  start: number;
  t: number | null;
  replies: Partial<Record<TickCommand, unknown>>;
  errors: TickError[];
  /** `net-stats` host lines of this tick. */
  net?: NetInterface[];
  /** The `process-stats` host line of this tick. */
  process?: ProcessStats;
}

export interface SegmenterState {
  readonly pending: ReadonlyMap<string, Routed & { kind: 'tick' | 'startup' }>;
  readonly tick: OpenTick | null;
  readonly startup: Startup | null;
  readonly hostSizes: Readonly<Record<string, number>>;
  /** Disk names by qdev id (a `device-names` host line, libvirt hosts); null when none. */
  readonly deviceNames: Readonly<Record<string, string>> | null;
  /** `file-allocation` host lines: image file path → allocated bytes. */
  readonly fileSizes: Readonly<Record<string, number>>;
  /** Events after the open tick's last line. */
  readonly held: readonly Segment[];
  readonly ignoredCommands: number;
  /** `in` lines that are neither greeting, reply nor event. */
  readonly malformed: number;
}

export function initialSegmenter(): SegmenterState {
  return { pending: new Map(), tick: null, startup: null, hostSizes: {}, fileSizes: {}, deviceNames: null, held: [], ignoredCommands: 0, malformed: 0 };
}

interface Step {
  state: SegmenterState;
  segments: Segment[];
}

/** Closes the open tick: the tick (if it got its blockstats reply), then held events. */
function closeTick(s: SegmenterState): Step {
  const segments: Segment[] = [];
  const tick = s.tick;
  if (tick && tick.t !== null) {
    const host = {
      blockdevSizes: { ...s.hostSizes },
      ...(Object.keys(s.fileSizes).length > 0 ? { fileAllocations: { ...s.fileSizes } } : {}),
      net: tick.net ?? [],
      ...(tick.process ? { process: tick.process } : {}),
    };
    const full: Tick = { t: tick.t, replies: tick.replies, errors: tick.errors, host };
    if (s.deviceNames) full.host.deviceNames = s.deviceNames;
    segments.push({ kind: 'tick', tick: full, startup: s.startup ?? { connectTime: tick.start, replies: {} } });
  }
  segments.push(...s.held);
  return { state: { ...s, tick: null, held: [] }, segments };
}

/** A command a tick's first command can be; one after the open tick's blockstats reply starts the next tick. */
function opensTick(command: TickCommand): boolean {
  return command === 'query-status' || command === 'query-blockstats' || command.startsWith('query-stats:');
}

/** A line belonging to the open tick: held events came before it, so they go out now. */
function touchTick(s: SegmenterState, tick: OpenTick): Step {
  return { state: { ...s, tick, held: [] }, segments: [...s.held] };
}

function onOut(s: SegmenterState, line: TranscriptLine): Step {
  const routed = routeCommand(line.msg);
  if (routed.kind === 'ignored') return { state: { ...s, ignoredCommands: s.ignoredCommands + 1 }, segments: [] };
  const key = idKey(line.msg);
  const pending = key === undefined ? s.pending : new Map(s.pending).set(key, routed);
  if (routed.kind === 'startup') return { state: { ...s, pending }, segments: [] };
  let segments: Segment[] = [];
  let state: SegmenterState = { ...s, pending };
  if (opensTick(routed.command) && state.tick !== null && state.tick.t !== null) ({ state, segments } = closeTick(state));
  const tick = state.tick ?? { start: line.t, t: null, replies: {}, errors: [] };
  const touched = touchTick(state, tick);
  return { state: touched.state, segments: [...segments, ...touched.segments] };
}

function tickReply(tick: OpenTick, command: TickCommand, line: TranscriptLine): OpenTick {
  const error = obj(line.msg['error']);
  const t = command === 'query-blockstats' ? line.t : tick.t;
  if (!error) return { ...tick, t, replies: { ...tick.replies, [command]: line.msg['return'] } };
  const { [command]: _dropped, ...replies } = tick.replies;
  const e: TickError = { command, errorClass: str(error['class']) ?? 'GenericError', desc: str(error['desc']) ?? '' };
  return { ...tick, t, replies, errors: [...tick.errors.filter((x) => x.command !== command), e] };
}

function onReply(s: SegmenterState, line: TranscriptLine): Step {
  const key = idKey(line.msg);
  const routed = key === undefined ? undefined : s.pending.get(key);
  if (!routed || key === undefined) return { state: s, segments: [] };
  const pending = new Map(s.pending);
  pending.delete(key);
  if (routed.kind === 'startup') {
    const base = s.startup ?? { connectTime: line.t, replies: {} };
    if (obj(line.msg['error'])) return { state: { ...s, pending }, segments: [] };
    const startup = { ...base, replies: { ...base.replies, [routed.command]: line.msg['return'] } };
    return { state: { ...s, pending, startup }, segments: [] };
  }
  const tick = s.tick ?? { start: line.t, t: null, replies: {}, errors: [] };
  return touchTick({ ...s, pending }, tickReply(tick, routed.command, line));
}

function onGreeting(s: SegmenterState, line: TranscriptLine): Step {
  const closed = closeTick(s);
  const connect: Segment = { kind: 'connect', t: line.t, previous: s.startup };
  const state: SegmenterState = { ...closed.state, pending: new Map(), startup: { connectTime: line.t, greeting: line.msg, replies: {} } };
  return { state, segments: [...closed.segments, connect] };
}

function onIn(s: SegmenterState, line: TranscriptLine): Step {
  const m = line.msg;
  if (obj(m['QMP'])) return onGreeting(s, line);
  if (isEventMessage(m)) {
    const ev: Segment = { kind: 'event', t: line.t, msg: m };
    return s.tick ? { state: { ...s, held: [...s.held, ev] }, segments: [] } : { state: s, segments: [ev] };
  }
  if (Object.hasOwn(m, 'return') || obj(m['error'])) return onReply(s, line);
  return { state: { ...s, malformed: s.malformed + 1 }, segments: [] };
}

function onHost(s: SegmenterState, line: TranscriptLine): Step {
  const net = netStats(line.msg);
  if (net) return s.tick ? touchTick(s, { ...s.tick, net: [...(s.tick.net ?? []), net] }) : { state: s, segments: [] };
  const usage = processStats(line.msg);
  if (usage) return s.tick ? touchTick(s, { ...s.tick, process: usage }) : { state: s, segments: [] };
  const proc = qemuProcess(line.msg);
  if (proc) return { state: { ...s, startup: { ...(s.startup ?? { connectTime: line.t, replies: {} }), process: proc } }, segments: [] };
  const size = blockdevSize(line.msg);
  const file = blockdevSize(line.msg, 'file-allocation');
  const names = deviceNames(line.msg);
  let state = size
    ? { ...s, hostSizes: { ...s.hostSizes, [size.path]: size.bytes } }
    : file
      ? { ...s, fileSizes: { ...s.fileSizes, [file.path]: file.bytes } }
      : s;
  if (names) state = { ...state, deviceNames: names };
  return state.tick ? touchTick(state, state.tick) : { state, segments: [] };
}

/** Feeds one parsed line. A transcript without a greeting connects at its first line. */
export function segment(state: SegmenterState, line: TranscriptLine): Step {
  const greeting = line.dir === 'in' && obj(line.msg['QMP']) !== undefined;
  const s = state.startup || greeting ? state : { ...state, startup: { connectTime: line.t, replies: {} } };
  if (line.dir === 'out') return onOut(s, line);
  if (line.dir === 'in') return onIn(s, line);
  return onHost(s, line);
}

/** Input ended: closes the open tick and releases held events. */
export function endSegments(s: SegmenterState): Step {
  return closeTick(s);
}

/**
 * Whether a line continues the open tick, which already holds its blockstats reply:
 * a further tick command that does not start a new tick, a reply to one, or a host
 * line. Used to complete a tick whose slow group is read just after a `until` cut.
 */
export function continuesOpenTick(s: SegmenterState, line: TranscriptLine): boolean {
  if (!s.tick || s.tick.t === null) return false;
  if (line.dir === 'host') return true;
  if (line.dir === 'out') {
    const routed = routeCommand(line.msg);
    return routed.kind === 'tick' && !opensTick(routed.command);
  }
  const key = idKey(line.msg);
  return key !== undefined && s.pending.get(key)?.kind === 'tick';
}

/** The segments (ticks, events, connects) of transcript text lines, in order; lines that are not transcript lines are skipped. */
export function segmentsOf(lines: Iterable<string>): Segment[] {
  let state = initialSegmenter();
  const out: Segment[] = [];
  for (const text of lines) {
    const line = parseTranscriptLine(text);
    if (!line) continue;
    const step = segment(state, line);
    state = step.state;
    out.push(...step.segments);
  }
  out.push(...endSegments(state).segments);
  return out;
}

/** The ticks of transcript text lines, as the live poller would hand them to the sample builder. */
export function ticksOf(lines: Iterable<string>): Tick[] {
  return segmentsOf(lines).flatMap((s) => (s.kind === 'tick' ? [s.tick] : []));
}
