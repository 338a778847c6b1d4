/**
 * VmPoller: one VM, one QMP connection, one loop. The imperative shell around the
 * pure tick plan and sample builder.
 *
 *   connect ─▶ identify (query-uuid, -name, -cpus-fast, -stats-schemas) ─▶ tick every fastIntervalMs
 *      ▲                                                                        │
 *      └──── backoff (common/src/retry.ts, jittered, capped) ◀── EOF / stale ◀──┘
 *
 * Identity: the vCPU threads' process is read on the host once per connection
 * (host/procfs.ts; a `qemu-process` traffic line for `qmpipe record`), so a reconnect
 * to the same QEMU keeps its instance id (sample/identity.ts).
 *
 * Isolation: each VM has its own loop and timers; a VM that stops answering only
 * makes its own commands time out. After `staleAfterMissedTicks` failed ticks in a
 * row the VM is marked stale (AgentNotice + metric) and its connection re-opened.
 *
 * Ordering: events, snapshots, samples and notices are published to the sink in the
 * order they happen, with one `seq` counter per VM uuid (the Kafka key) for the
 * agent's lifetime: 0, 1, 2, ... with no gaps, across reconnects.
 *
 * `stop(graceMs)` ends the loop (a tick in flight may finish within `graceMs`), closes
 * the connection and resolves once the loop exited; nothing is published after that.
 */
import { hostname } from 'node:os';
import { describeError } from '#common/errors.js';
import { silentLogger, type Logger } from '#common/log.js';
import type { RawBody, VmIdentity } from '#schemas/types.js';
import { readOnlyAllowlist } from '../qmp/allowlist.js';
import { QmpClient, type QmpClientOptions } from '../qmp/client.js';
import { isLineTooLong, QmpDisconnectedError, qmpErrorClass } from '../qmp/errors.js';
import type { QmpEventMessage } from '../qmp/messages.js';
import type { Tick } from '../sample/tick.js';
import type { QmpSession } from '../qmp/session.js';
import type { Poller, PollerDeps, PollerOptions, PollerState } from './options.js';
import { clockJump, clockWatch } from './clockJump.js';
import { nextSlot, statsTargets } from './tickPlan.js';
import { EventGate } from './eventBudget.js';
import { connectNotices, identify } from './identify.js';
import { Pause } from './pause.js';
import { Reconnects } from './reconnects.js';
import { VmRecordStream } from './recordStream.js';
import { latencyObservers, runTick, type TickCarry, type TickContext } from './tickRunner.js';
import { isTopologyEvent } from './topology.js';
import type { VmTarget } from './vmTarget.js';

export type { Poller, PollerDeps, PollerOptions, PollerState } from './options.js';

class StaleError extends Error {}

export class VmPoller<S = unknown> implements Poller {
  state: PollerState = 'connecting';
  private readonly records: VmRecordStream;

  /** The VM as last identified; undefined before the first connect. */
  get identity(): VmIdentity | undefined {
    return this.records.identity;
  }
  private stopped = false;
  private loop: Promise<void> | undefined;
  private client: QmpSession | undefined;
  private readonly pause = new Pause();
  private builderState: S | undefined;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly labels: { vm: string };
  private readonly countPoll: () => void;
  private readonly events: EventGate;
  private readonly tickContext: TickContext;
  /** A QMP event changed the block graph (topology.ts): the next tick reads the slow group. */
  private topologyChanged = false;
  private readonly reconnects: Reconnects;
  private readonly clock = clockWatch();
  /** With an injected wall clock and no monotonic one (tests), the wall clock is taken as steady. */
  private readonly monotonic: () => number;

  constructor(
    readonly target: VmTarget,
    private readonly opts: PollerOptions,
    private readonly deps: PollerDeps<S>,
  ) {
    this.log = (deps.logger ?? silentLogger).child({ vm: target.label, socket: target.id });
    this.now = deps.now ?? Date.now;
    this.monotonic = deps.monotonic ?? (deps.now ? deps.now : () => performance.now());
    this.labels = { vm: target.label };
    this.countPoll = deps.telemetry.polls.child(this.labels);
    this.events = new EventGate(opts.maxEventsPerSecond ?? 100, this.now(), deps.telemetry.eventsSuppressed.child(this.labels));
    this.reconnects = new Reconnects(opts.reconnect, opts.maxLineBytes, opts.maxLineBytesCeiling ?? opts.maxLineBytes);
    this.records = new VmRecordStream(deps.sink, deps.telemetry);
    this.tickContext = {
      opts,
      now: this.now,
      hostReader: deps.hostReader,
      net: target.net,
      deviceNames: target.deviceNames,
      onTraffic: deps.onTraffic,
      latency: latencyObservers(deps.telemetry.qmpLatency),
      onErrorReply: (errorClass) => deps.telemetry.pollErrors.inc({ ...this.labels, class: errorClass }),
    };
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(graceMs = 0): Promise<void> {
    this.stopped = true;
    this.pause.wake();
    if (graceMs > 0 && this.loop) await Promise.race([this.loop, new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.client?.close();
    await this.loop;
    this.setStale(false);
    this.state = 'stopped';
  }

  /**
   * Publishes an AgentNotice about this VM (e.g. `spool-dropped`) if it is identified
   * as `uuid`. Returns whether it did.
   */
  notice(uuid: string, kind: string, message: string, count: number): boolean {
    if (this.records.identity?.uuid !== uuid) return false;
    this.announce(kind, message, this.now(), count);
    return true;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const { client, statsSchemas } = await this.connect();
        await this.serve(client, statsSchemas);
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof QmpDisconnectedError && this.state !== 'connecting') this.announce('disconnected', describeError(err));
        if (this.state === 'up') this.state = 'connecting';
        if (isLineTooLong(err) && this.raiseLineLimit()) continue; // reconnect at once, with room for the reply
        const cls = err instanceof StaleError ? 'stale' : qmpErrorClass(err);
        this.deps.telemetry.pollErrors.inc({ ...this.labels, class: cls });
        const attempt = this.reconnects.attempt;
        if (this.reconnects.isNew(`${cls}:${(err as Error).message}`))
          this.log.warn('VM not answering; will reconnect', { error: describeError(err), class: cls, attempt });
        if (attempt >= 1 || this.state === 'stale') this.setStale(true);
      } finally {
        const c = this.client;
        this.client = undefined;
        await c?.close();
      }
      if (this.stopped) break;
      await this.sleep(this.reconnects.nextDelay());
    }
  }

  /** A reply was longer than the VM's line limit (reconnects.ts): true when raised (reconnect at once). */
  private raiseLineLimit(): boolean {
    const limit = this.reconnects.lineLimit;
    if (!this.reconnects.raiseLineLimit()) {
      this.log.warn('QMP reply longer than qmp.maxLineBytesCeiling; the VM cannot be sampled', { limit });
      return false;
    }
    this.deps.telemetry.lineLimit.set(this.labels, this.reconnects.lineLimit);
    this.log.info('QMP reply longer than the line limit; raised it and reconnecting', { from: limit, to: this.reconnects.lineLimit });
    return true;
  }

  private async connect(): Promise<{ client: QmpSession; statsSchemas: unknown }> {
    const pendingEvents: QmpEventMessage[] = [];
    let ready = false;
    const traffic = this.deps.onTraffic;
    const clientOpts: QmpClientOptions = {
      allowlist: this.opts.allowlist ?? readOnlyAllowlist,
      maxLineBytes: this.reconnects.lineLimit,
      connectTimeoutMs: this.opts.connectTimeoutMs,
      handshakeTimeoutMs: this.opts.handshakeTimeoutMs,
      commandTimeoutMs: this.opts.commandTimeoutMs,
      logger: this.log,
      onEvent: (ev) => {
        if (isTopologyEvent(ev.event)) this.topologyChanged = true; // read the slow group at the next tick
        if (ready) this.publishEvent(ev);
        else pendingEvents.push(ev);
      },
      onClose: () => this.pause.wake(),
      ...(traffic ? { onTraffic: traffic } : {}),
    };
    const client = this.target.open ? await this.target.open(clientOpts) : await QmpClient.connect(this.target.transport, clientOpts);
    this.client = client;
    const connectedAt = this.now();
    const info = await identify(client, { host: this.opts.host ?? hostname(), socketName: this.target.label, connectedAt }, this.deps.hostReader, traffic);
    const statsSchemas = info.statsSchemas;
    const r = this.deps.builder.connect(info, this.builderState);
    this.records.identify(r.identity);
    this.builderState = r.state;
    this.deps.telemetry.reconnects.inc(this.labels);
    const [connected, ...degraded] = connectNotices(info, this.target.id);
    this.publish(connected!, connectedAt);
    if (r.snapshot) this.records.snapshot(r.snapshot, connectedAt);
    for (const notice of degraded) this.publish(notice, connectedAt);
    this.log.info('VM connected', {
      uuid: r.identity.uuid,
      name: r.identity.name,
      instanceId: r.identity.instanceId,
      qemu: r.identity.qemuVersion,
      queryStats: statsSchemas !== undefined,
    });
    ready = true;
    for (const ev of pendingEvents) this.publishEvent(ev);
    return { client, statsSchemas };
  }

  private async serve(client: QmpSession, statsSchemas: unknown): Promise<void> {
    const carry: TickCarry = { targets: statsTargets(this.opts.statsTargets, statsSchemas), devicePaths: [], knownNodes: null };
    let missed = 0;
    // First tick at once; then on the fast grid (see nextSlot). The slow group runs on
    // the first tick and then on the first tick at or after each slow grid point.
    let at = this.now();
    let nextSlowAt = at;
    if (this.state !== 'stale') this.state = 'up';
    while (!this.stopped) {
      if (client.closed) throw new QmpDisconnectedError('QMP connection closed');
      const due = at >= nextSlowAt;
      if (due) nextSlowAt = nextSlot(at, at, this.opts.slowIntervalMs).at;
      const slow = due || this.topologyChanged; // an event changed the block graph: off the slow grid, once
      this.topologyChanged = false;
      const started = performance.now();
      try {
        await this.poll(client, carry, slow);
        missed = 0;
      } catch (err) {
        if (this.stopped || err instanceof QmpDisconnectedError) throw err;
        missed++;
        this.deps.telemetry.ticksMissed.inc(this.labels);
        this.deps.telemetry.pollErrors.inc({ ...this.labels, class: qmpErrorClass(err) });
        if (missed >= this.opts.staleAfterMissedTicks) {
          this.markStale(`${missed} ticks without an answer (${describeError(err)})`);
          throw new StaleError(`stale after ${missed} missed ticks`);
        }
      }
      this.deps.telemetry.tickDuration.observe({}, (performance.now() - started) / 1000);
      const next = nextSlot(at, this.now(), this.opts.fastIntervalMs);
      if (next.skipped > 0) this.deps.telemetry.ticksSkipped.inc(this.labels, next.skipped);
      at = next.at;
      await this.sleep(at - this.now());
    }
  }

  /**
   * One tick, published. The Tick (every parsed reply) lives only in this call: held in
   * serve's frame it outlived the sleep, and young GCs copied and promoted it.
   */
  private async poll(client: QmpSession, carry: TickCarry, slow: boolean): Promise<void> {
    const tick = await runTick(client, carry, slow, this.tickContext);
    if (carry.targets.length > 0 && tick.errors.some((e) => e.command.startsWith('query-stats:') && e.errorClass === 'CommandNotFound')) carry.targets = [];
    this.emitSample(tick);
    const suppressed = this.events.notice();
    if (suppressed) this.publish({ kind: 'AgentNotice', value: suppressed }, tick.t);
    this.reconnects.succeeded();
    if (this.state === 'stale') this.recover();
  }

  private emitSample(tick: Tick): void {
    const jump = clockJump(this.clock, tick.t, this.monotonic());
    if (jump !== 0) this.announce('clock-jump', `the host's wall clock jumped ${jump / 1000} s`, tick.t, jump);
    const r = this.deps.builder.build(this.builderState as S, tick);
    this.builderState = r.state;
    if (r.snapshot) this.records.snapshot(r.snapshot, tick.t);
    this.publish({ kind: 'Sample', value: r.sample }, tick.t);
    this.countPoll();
  }

  /** An event, unless over the VM's cap (eventBudget.ts): then counted, and summarized with the next tick. */
  private publishEvent(ev: QmpEventMessage): void {
    const now = this.now();
    if (this.events.admit(ev.event, now)) this.publish({ kind: 'QmpEvent', value: this.deps.builder.event(ev) }, now);
  }

  /** An AgentNotice about this VM. */
  private announce(kind: string, message: string, t = this.now(), count = 0): void {
    this.publish({ kind: 'AgentNotice', value: { kind, message, count } }, t);
  }

  private publish(body: RawBody, t: number): void {
    if (!this.stopped) this.records.publish(body, t);
  }

  private markStale(message: string): void {
    this.log.warn('VM stale', { message });
    this.announce('stale', message);
    this.setStale(true);
  }

  private recover(): void {
    this.log.info('VM answering again');
    this.announce('recovered', 'QMP answering again');
    this.setStale(false);
    this.state = 'up';
  }

  private setStale(stale: boolean): void {
    const was = this.state === 'stale';
    if (stale) this.state = 'stale';
    else if (was) this.state = 'up';
    if (was !== stale) this.deps.telemetry.vmsStale.inc({}, stale ? 1 : -1);
    this.deps.telemetry.vmStale.set(this.labels, stale ? 1 : 0);
  }

  /** Waits `ms`; a stop, or the end of the connection open now, ends the wait early. */
  private sleep(ms: number): Promise<void> {
    const client = this.client;
    return this.pause.sleep(ms, () => this.stopped || client?.closed === true);
  }
}
