/**
 * PollLoop: one VM, one loop, whatever the source (source.ts): a QMP socket, QEMU's
 * monitor through libvirt, or libvirt's bulk stats. The imperative shell around the
 * pure tick plan, event budget and record stream.
 *
 *   connect + identify ─▶ tick every fastIntervalMs (the slow grid every slowIntervalMs)
 *      ▲                                                          │
 *      └──── backoff (common/src/retry.ts, jittered, capped) ◀── EOF / stale ◀──┘
 *
 * Isolation: each VM has its own loop and timers; a VM that stops answering only makes
 * its own reads time out. After `staleAfterMissedTicks` failed ticks in a row the VM is
 * marked stale (a `stale` AgentNotice, `qmpipe_agent_vm_stale{vm}` 1) and its connection
 * re-opened; the first tick that answers again publishes `recovered` and clears the gauge.
 *
 * Ordering: events, snapshots, samples and notices are published to the sink in the
 * order they happen, with one `seq` counter per VM uuid (the Kafka key) for the
 * loop's lifetime, its run (`runId`, random per loop): 0, 1, 2, ... with no gaps,
 * across reconnects (recordStream.ts).
 * Events pass the per-VM cap (eventBudget.ts); what it refuses is counted and summed up
 * in an `events-suppressed` notice with the next tick.
 *
 * `stop(graceMs)` ends the loop (a tick in flight may finish within `graceMs`), closes
 * the connection and resolves once the loop exited; nothing is published after that.
 */
import { describeError } from '#common/errors.js';
import { silentLogger, type Logger } from '#common/log.js';
import { sleep } from '#common/sleep.js';
import type { QmpEvent, RawBody, VmIdentity } from '#schemas/types.js';
import { clockJump, clockWatch } from './clockJump.js';
import { EventGate } from './eventBudget.js';
import type { Poller, PollerDeps, PollerOptions, PollerState } from './options.js';
import { Reconnects } from './reconnects.js';
import { VmRecordStream } from './recordStream.js';
import type { FailureClass, SourceConnection, VmSource } from './source.js';
import { nextSlot } from './tickPlan.js';
import type { VmTarget } from './vmTarget.js';

export type LoopOptions = Pick<PollerOptions, 'fastIntervalMs' | 'slowIntervalMs' | 'staleAfterMissedTicks' | 'maxEventsPerSecond' | 'reconnect'>;
export type LoopDeps = Pick<PollerDeps<unknown>, 'sink' | 'telemetry' | 'logger' | 'now' | 'monotonic'>;

class StaleError extends Error {}
/** The connection ended between ticks (the source's `closed`). */
class ClosedError extends Error {}

export class PollLoop implements Poller {
  state: PollerState = 'connecting';
  private readonly records: VmRecordStream;
  private loop: Promise<void> | undefined;
  /** Aborted by stop: ends every wait and a connect in progress. */
  private readonly lifetime = new AbortController();
  private connection: SourceConnection | undefined;
  /** Aborted by stop or by the end of the connection open now: ends the wait for the next tick. */
  private wakeup: AbortController | undefined;
  private readonly log: Logger;
  private readonly now: () => number;
  /** With an injected wall clock and no monotonic one (tests), the wall clock is taken as steady. */
  private readonly monotonic: () => number;
  private readonly labels: { vm: string };
  private readonly countPoll: () => void;
  private readonly events: EventGate;
  private readonly reconnects: Reconnects;
  private readonly clock = clockWatch();

  constructor(
    readonly target: VmTarget,
    private readonly opts: LoopOptions,
    private readonly deps: LoopDeps,
    private readonly source: VmSource,
  ) {
    this.log = (deps.logger ?? silentLogger).child({ vm: target.label, socket: target.id });
    this.now = deps.now ?? Date.now;
    this.monotonic = deps.monotonic ?? (deps.now ? deps.now : () => performance.now());
    this.labels = { vm: target.label };
    this.countPoll = deps.telemetry.polls.child(this.labels);
    this.events = new EventGate(opts.maxEventsPerSecond ?? 100, this.now(), deps.telemetry.eventsSuppressed.child(this.labels));
    this.reconnects = new Reconnects(opts.reconnect);
    this.records = new VmRecordStream(deps.sink, deps.telemetry);
  }

  /** The VM as last identified; undefined before the first connect. */
  get identity(): VmIdentity | undefined {
    return this.records.identity;
  }

  private get stopped(): boolean {
    return this.lifetime.signal.aborted;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(graceMs = 0): Promise<void> {
    this.lifetime.abort();
    this.wakeup?.abort();
    if (graceMs > 0 && this.loop) {
      const waited = new AbortController();
      await Promise.race([this.loop, sleep(graceMs, waited.signal)]);
      waited.abort();
    }
    await this.connection?.close();
    await this.loop;
    this.setStale(false);
    this.state = 'stopped';
  }

  /** Publishes an AgentNotice about this VM (e.g. `spool-dropped`) if it is identified as `uuid`; returns whether it did. */
  notice(uuid: string, kind: string, message: string, count: number): boolean {
    if (this.records.identity?.uuid !== uuid) return false;
    this.announce(kind, message, this.now(), count);
    return true;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.serve(await this.connect());
      } catch (err) {
        if (this.stopped) break;
        if (this.failed(err)) continue; // the source adapted: reconnect at once
      } finally {
        const c = this.connection;
        this.connection = undefined;
        await c?.close();
      }
      if (this.stopped) break;
      await sleep(this.reconnects.nextDelay(), this.lifetime.signal);
    }
  }

  private classify(err: unknown): FailureClass {
    if (err instanceof StaleError) return { errorClass: 'stale', disconnected: false };
    if (err instanceof ClosedError) return { errorClass: 'disconnected', disconnected: true };
    return this.source.classify(err);
  }

  /** A failed connect or connection: counted, logged once per distinct failure, stale after a retry. True to reconnect at once. */
  private failed(err: unknown): boolean {
    const { errorClass, disconnected } = this.classify(err);
    if (disconnected && this.state !== 'connecting') this.announce('disconnected', describeError(err));
    if (this.state === 'up') this.state = 'connecting';
    if (!(err instanceof StaleError) && this.source.adapt?.(err)) return true;
    this.deps.telemetry.pollErrors.inc({ ...this.labels, class: errorClass });
    const attempt = this.reconnects.attempt;
    if (this.reconnects.isNew(`${errorClass}:${(err as Error).message}`))
      this.log.warn('VM not answering; will reconnect', { error: describeError(err), class: errorClass, attempt });
    if (attempt >= 1 || this.state === 'stale') this.setStale(true);
    return false;
  }

  private async connect(): Promise<SourceConnection> {
    const pending: QmpEvent[] = [];
    let ready = false;
    const wakeup = new AbortController();
    this.wakeup = wakeup;
    const hooks = {
      onEvent: (ev: QmpEvent) => (ready ? this.publishEvent(ev) : pending.push(ev)),
      onClose: () => wakeup.abort(),
    };
    const conn = await this.source.connect(hooks, this.lifetime.signal);
    this.connection = conn;
    if (this.stopped) wakeup.abort();
    const { identity, at, connected, snapshot, degraded } = conn.opened;
    this.records.identify(identity);
    this.deps.telemetry.reconnects.inc(this.labels);
    this.announce('connected', connected, at);
    if (snapshot) this.records.snapshot(snapshot, at);
    for (const message of degraded) this.announce('degraded', message, at);
    const { uuid, name, instanceId, qemuVersion } = identity;
    this.log.info('VM connected', { uuid, name, instanceId, qemu: qemuVersion, via: this.source.via, degraded });
    ready = true;
    for (const ev of pending) this.publishEvent(ev);
    return conn;
  }

  private async serve(conn: SourceConnection): Promise<void> {
    const wakeup = this.wakeup!.signal;
    let missed = 0;
    // First tick at once; then on the fast grid (see nextSlot). The slow group runs on
    // the first tick and then on the first tick at or after each slow grid point.
    let at = this.now();
    let nextSlowAt = at;
    if (this.state !== 'stale') this.state = 'up';
    while (!this.stopped) {
      if (conn.closed) throw new ClosedError(`${this.source.via} connection closed`);
      const slow = at >= nextSlowAt;
      if (slow) nextSlowAt = nextSlot(at, at, this.opts.slowIntervalMs).at;
      const started = performance.now();
      try {
        await this.poll(conn, slow);
        missed = 0;
      } catch (err) {
        if (this.stopped || this.classify(err).disconnected) throw err;
        missed++;
        this.deps.telemetry.ticksMissed.inc(this.labels);
        this.deps.telemetry.pollErrors.inc({ ...this.labels, class: this.classify(err).errorClass });
        if (missed >= this.opts.staleAfterMissedTicks) {
          this.markStale(`${missed} ticks without an answer (${describeError(err)})`);
          throw new StaleError(`stale after ${missed} missed ticks`);
        }
      }
      this.deps.telemetry.tickDuration.observe({}, (performance.now() - started) / 1000);
      const next = nextSlot(at, this.now(), this.opts.fastIntervalMs);
      if (next.skipped > 0) this.deps.telemetry.ticksSkipped.inc(this.labels, next.skipped);
      at = next.at;
      await sleep(at - this.now(), wakeup);
    }
  }

  /**
   * One tick, published. What the source read (a QMP Tick: every parsed reply) lives only
   * in this call: held in serve's frame it outlived the sleep, and young GCs copied and promoted it.
   */
  private async poll(conn: SourceConnection, slow: boolean): Promise<void> {
    const { t, sample, snapshot } = await conn.read(slow);
    const jump = clockJump(this.clock, t, this.monotonic());
    if (jump !== 0) this.announce('clock-jump', `the host's wall clock jumped ${jump / 1000} s`, t, jump);
    if (snapshot) this.records.snapshot(snapshot, t);
    this.publish({ kind: 'Sample', value: sample }, t);
    this.countPoll();
    const suppressed = this.events.notice();
    if (suppressed) this.publish({ kind: 'AgentNotice', value: suppressed }, t);
    this.reconnects.succeeded();
    if (this.state === 'stale') this.recover();
  }

  /** An event, unless over the VM's cap (eventBudget.ts): then counted, and summarized with the next tick. */
  private publishEvent(ev: QmpEvent): void {
    const now = this.now();
    if (this.events.admit(ev.event, now)) this.publish({ kind: 'QmpEvent', value: ev }, now);
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
    this.announce('recovered', `${this.source.via} answering again`);
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
}
