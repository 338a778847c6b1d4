/**
 * VmPoller: one VM, one QMP connection, one loop. The imperative shell around the
 * pure tick plan and sample builder.
 *
 *   connect ─▶ identify (query-uuid, -name, -cpus-fast, -stats-schemas) ─▶ tick every fastIntervalMs
 *      ▲                                                                        │
 *      └──── backoff (common/src/retry.ts, jittered, capped) ◀── EOF / stale ◀──┘
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
import { backoffDelay } from '#common/retry.js';
import type { RawBody, VmIdentity } from '#schemas/types.js';
import { readOnlyAllowlist } from '../qmp/allowlist.js';
import { QmpClient, type QmpClientOptions } from '../qmp/client.js';
import { QmpDisconnectedError, QmpExecuteError, qmpErrorClass } from '../qmp/errors.js';
import { versionString, type QmpEventMessage } from '../qmp/messages.js';
import type { Tick } from '../sample/tick.js';
import type { ConnectInfo } from '../sample/seam.js';
import type { PollerDeps, PollerOptions, PollerState } from './options.js';
import { clockJump, clockWatch } from './clockJump.js';
import { nextSlot, statsTargets } from './tickPlan.js';
import { runTick, type TickCarry, type TickContext } from './tickRunner.js';
import type { VmTarget } from './vmTarget.js';

export type { PollerDeps, PollerOptions, PollerState } from './options.js';

class StaleError extends Error {}

export class VmPoller<S = unknown> {
  state: PollerState = 'connecting';
  identity: VmIdentity | undefined;
  /** Next seq per VM uuid: a socket may serve another VM after a restart, and come back. */
  private readonly seqs = new Map<string, number>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private client: QmpClient | undefined;
  private wake: (() => void) | undefined;
  private builderState: S | undefined;
  private readonly published = new Set<string>();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly labels: { vm: string };
  private readonly latencyByCommand = new Map<string, (seconds: number) => void>();
  private readonly countPoll: () => void;
  private readonly tickContext: TickContext;
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
    this.tickContext = {
      opts,
      now: this.now,
      hostReader: deps.hostReader,
      net: target.net,
      onTraffic: deps.onTraffic,
      latency: (command) => this.latency(command),
      onErrorReply: (errorClass) => deps.telemetry.pollErrors.inc({ ...this.labels, class: errorClass }),
    };
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(graceMs = 0): Promise<void> {
    this.stopped = true;
    this.wake?.();
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
    if (this.identity?.uuid !== uuid) return false;
    this.publish({ kind: 'AgentNotice', value: { kind, message, count } }, this.now());
    return true;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let lastCode = '';
    while (!this.stopped) {
      try {
        const { client, statsSchemas } = await this.connect();
        attempt = 0;
        lastCode = '';
        await this.serve(client, statsSchemas);
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof QmpDisconnectedError && this.state !== 'connecting') {
          this.publish({ kind: 'AgentNotice', value: { kind: 'disconnected', message: describeError(err), count: 0 } }, this.now());
        }
        if (this.state === 'up') this.state = 'connecting';
        const cls = err instanceof StaleError ? 'stale' : qmpErrorClass(err);
        this.deps.telemetry.pollErrors.inc({ ...this.labels, class: cls });
        const code = `${cls}:${(err as Error).message}`;
        if (code !== lastCode) this.log.warn('VM not answering; will reconnect', { error: describeError(err), class: cls, attempt });
        lastCode = code;
        if (attempt >= 1 || this.state === 'stale') this.setStale(true);
      } finally {
        const c = this.client;
        this.client = undefined;
        await c?.close();
      }
      if (this.stopped) break;
      await this.sleep(backoffDelay(this.opts.reconnect, Math.min(attempt++, 30)));
    }
  }

  private async connect(): Promise<{ client: QmpClient; statsSchemas: unknown }> {
    const pendingEvents: QmpEventMessage[] = [];
    let ready = false;
    const traffic = this.deps.onTraffic;
    const clientOpts: QmpClientOptions = {
      allowlist: this.opts.allowlist ?? readOnlyAllowlist,
      maxLineBytes: this.opts.maxLineBytes,
      connectTimeoutMs: this.opts.connectTimeoutMs,
      handshakeTimeoutMs: this.opts.handshakeTimeoutMs,
      commandTimeoutMs: this.opts.commandTimeoutMs,
      logger: this.log,
      onEvent: (ev) => (ready ? this.publishEvent(ev) : pendingEvents.push(ev)),
      onClose: () => this.wake?.(),
      ...(traffic ? { onTraffic: traffic } : {}),
    };
    const client = await QmpClient.connect(this.target.transport, clientOpts);
    this.client = client;
    const connectedAt = this.now();
    const [uuid, name, statsSchemas, cpus] = await Promise.all([
      this.tryExec(client, 'query-uuid'),
      this.tryExec(client, 'query-name'),
      this.tryExec(client, 'query-stats-schemas'),
      this.tryExec(client, 'query-cpus-fast'),
    ]);
    const info: ConnectInfo = {
      host: this.opts.host ?? hostname(),
      socketName: this.target.label,
      greeting: client.greeting,
      uuid,
      name,
      cpus,
      statsSchemas,
      connectedAt,
    };
    const r = this.deps.builder.connect(info, this.builderState);
    if (this.identity?.instanceId !== r.identity.instanceId) this.published.clear();
    this.identity = r.identity;
    this.builderState = r.state;
    this.deps.telemetry.reconnects.inc(this.labels);
    this.publish(
      { kind: 'AgentNotice', value: { kind: 'connected', message: `QEMU ${versionString(client.greeting.version)} at ${this.target.id}`, count: 0 } },
      connectedAt,
    );
    if (r.snapshot) this.publishSnapshot(r.snapshot, connectedAt);
    if (statsSchemas === undefined)
      this.publish(
        { kind: 'AgentNotice', value: { kind: 'degraded', message: 'query-stats unavailable (QEMU < 7.1): sampling without it', count: 0 } },
        connectedAt,
      );
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

  private async serve(client: QmpClient, statsSchemas: unknown): Promise<void> {
    const carry: TickCarry = { targets: statsTargets(this.opts.statsTargets, statsSchemas), devicePaths: [] };
    let missed = 0;
    // First tick at once; then on the fast grid (see nextSlot). The slow group runs on
    // the first tick and then on the first tick at or after each slow grid point.
    let at = this.now();
    let nextSlowAt = at;
    if (this.state !== 'stale') this.state = 'up';
    while (!this.stopped) {
      if (client.closed) throw new QmpDisconnectedError('QMP connection closed');
      const slow = at >= nextSlowAt;
      if (slow) nextSlowAt = nextSlot(at, at, this.opts.slowIntervalMs).at;
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
  private async poll(client: QmpClient, carry: TickCarry, slow: boolean): Promise<void> {
    const tick = await runTick(client, carry, slow, this.tickContext);
    if (carry.targets.length > 0 && tick.errors.some((e) => e.command.startsWith('query-stats:') && e.errorClass === 'CommandNotFound')) carry.targets = [];
    this.emitSample(tick);
    if (this.state === 'stale') this.recover();
  }

  private emitSample(tick: Tick): void {
    const jump = clockJump(this.clock, tick.t, this.monotonic());
    if (jump !== 0)
      this.publish({ kind: 'AgentNotice', value: { kind: 'clock-jump', message: `the host's wall clock jumped ${jump / 1000} s`, count: jump } }, tick.t);
    const r = this.deps.builder.build(this.builderState as S, tick);
    this.builderState = r.state;
    if (r.snapshot) this.publishSnapshot(r.snapshot, tick.t);
    this.publish({ kind: 'Sample', value: r.sample }, tick.t);
    this.countPoll();
  }

  /** Bound latency observer per command (a tick observes 6–8 of them). */
  private latency(command: string): (seconds: number) => void {
    let obs = this.latencyByCommand.get(command);
    if (!obs) this.latencyByCommand.set(command, (obs = this.deps.telemetry.qmpLatency.child({ command })));
    return obs;
  }

  /** A command's return value, or undefined when QEMU answered with an error (e.g. CommandNotFound). */
  private tryExec(client: QmpClient, command: string): Promise<unknown> {
    return client.execute(command).catch((err: unknown) => (err instanceof QmpExecuteError ? undefined : Promise.reject(err)));
  }

  private publishEvent(ev: QmpEventMessage): void {
    this.publish({ kind: 'QmpEvent', value: this.deps.builder.event(ev) }, this.now());
  }

  private publishSnapshot(snap: { hash: string } & object, t: number): void {
    if (this.published.has(snap.hash)) return;
    this.published.add(snap.hash);
    this.publish({ kind: 'StatsSchemaSnapshot', value: snap } as RawBody, t);
  }

  private publish(body: RawBody, t: number): void {
    if (!this.identity || this.stopped) return;
    const uuid = this.identity.uuid;
    const seq = this.seqs.get(uuid) ?? 0;
    this.seqs.set(uuid, seq + 1);
    this.deps.sink.publish(uuid, { vm: this.identity, seq, t, body });
    this.deps.telemetry.recordsQueued.inc({ kind: body.kind });
  }

  private markStale(message: string): void {
    this.log.warn('VM stale', { message });
    this.publish({ kind: 'AgentNotice', value: { kind: 'stale', message, count: 0 } }, this.now());
    this.setStale(true);
  }

  private recover(): void {
    this.log.info('VM answering again');
    this.publish({ kind: 'AgentNotice', value: { kind: 'recovered', message: 'QMP answering again', count: 0 } }, this.now());
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

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const closed = this.client;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        if (this.stopped || closed?.closed) done();
      };
    });
  }
}
