/**
 * The QMP source of the poll loop (source.ts): a QmpSession, on the VM's own socket
 * (QmpClient) or QEMU's monitor through libvirt (`target.open`, the `qmp` mode).
 *
 * Connect: the session, then identify (query-uuid, -name, -cpus-fast, -stats-schemas;
 * the vCPU threads' process read on the host once per connection, host/procfs.ts, a
 * `qemu-process` traffic line for `qmpipe record`), so a reconnect to the same QEMU keeps
 * its instance id (sample/identity.ts). A tick: the planned commands (tickPlan.ts, run
 * by tickRunner.ts) → Tick → SampleBuilder. Any event makes the next tick read
 * query-status and query-block-jobs (tickPlan.ts). An event that changes the block graph
 * (topology.ts) makes the next tick read the slow group. A reply over the line limit
 * raises this VM's limit (lineLimit.ts) and the loop reconnects at once. On the VM's own
 * unix socket with no taps listed in the config, the taps come from QEMU's tun fds on the
 * host (tapWatch.ts: at connect, every slow tick, after a NIC event).
 */
import { hostname } from 'node:os';
import { silentLogger, type Logger } from '#common/log.js';
import { readOnlyAllowlist } from '../qmp/allowlist.js';
import { QmpClient, type QmpClientOptions } from '../qmp/client.js';
import { isLineTooLong, QmpDisconnectedError, qmpErrorClass } from '../qmp/errors.js';
import type { QmpSession } from '../qmp/session.js';
import { connectNotices, identify } from './identify.js';
import { LineLimit } from './lineLimit.js';
import type { PollerDeps, PollerOptions } from './options.js';
import type { FailureClass, SourceConnection, SourceHooks, SourceTick, VmSource } from './source.js';
import { statsTargets } from './tickPlan.js';
import { latencyObservers, runTick, type TickCarry, type TickContext } from './tickRunner.js';
import { isTopologyEvent } from './topology.js';
import { TapWatch } from './tapWatch.js';
import { vcpuThreadIds } from '../sample/identity.js';
import type { VmTarget } from './vmTarget.js';

export class QmpSource<S = unknown> implements VmSource {
  readonly via = 'QMP';
  private builderState: S | undefined;
  /** A QMP event changed the block graph (topology.ts): the next tick reads the slow group. */
  private topologyChanged = false;
  /** This connection's taps found on the host; undefined when the target's `net` is used. */
  private tapWatch: TapWatch | undefined;
  private readonly lineLimit: LineLimit;
  private readonly tickContext: TickContext;
  private readonly log: Logger;
  private readonly labels: { vm: string };

  constructor(
    private readonly target: VmTarget,
    private readonly opts: PollerOptions,
    private readonly deps: PollerDeps<S>,
  ) {
    this.log = (deps.logger ?? silentLogger).child({ vm: target.label, socket: target.id });
    this.labels = { vm: target.label };
    this.lineLimit = new LineLimit(opts.maxLineBytes, opts.maxLineBytesCeiling ?? opts.maxLineBytes);
    this.tickContext = {
      opts,
      now: deps.now ?? Date.now,
      hostReader: deps.hostReader,
      net: target.net,
      deviceNames: target.deviceNames,
      onTraffic: deps.onTraffic,
      latency: latencyObservers(deps.telemetry.qmpLatency),
      onErrorReply: (errorClass) => deps.telemetry.pollErrors.inc({ ...this.labels, class: errorClass }),
    };
  }

  classify(err: unknown): FailureClass {
    return { errorClass: qmpErrorClass(err), disconnected: err instanceof QmpDisconnectedError };
  }

  /** A reply longer than the VM's line limit: true when the limit was raised (reconnect at once). */
  adapt(err: unknown): boolean {
    if (!isLineTooLong(err)) return false;
    const limit = this.lineLimit.bytes;
    if (!this.lineLimit.raise()) {
      this.log.warn('QMP reply longer than qmp.maxLineBytesCeiling; the VM cannot be sampled', { limit });
      return false;
    }
    this.deps.telemetry.lineLimit.set(this.labels, this.lineLimit.bytes);
    this.log.info('QMP reply longer than the line limit; raised it and reconnecting', { from: limit, to: this.lineLimit.bytes });
    return true;
  }

  async connect(hooks: SourceHooks, stop: AbortSignal): Promise<SourceConnection> {
    const traffic = this.deps.onTraffic;
    const carry: TickCarry = { targets: [], devicePaths: [], knownNodes: null };
    const clientOpts: QmpClientOptions = {
      allowlist: this.opts.allowlist ?? readOnlyAllowlist,
      maxLineBytes: this.lineLimit.bytes,
      connectTimeoutMs: this.opts.connectTimeoutMs,
      handshakeTimeoutMs: this.opts.handshakeTimeoutMs,
      commandTimeoutMs: this.opts.commandTimeoutMs,
      logger: this.log,
      onEvent: (ev) => {
        if (isTopologyEvent(ev.event)) this.topologyChanged = true; // read the slow group at the next tick
        this.tapWatch?.event(ev.event);
        carry.eventSeen = true; // status and jobs come from events: the next tick reads them (tickPlan.ts)
        hooks.onEvent(this.deps.builder.event(ev));
      },
      onClose: () => hooks.onClose(),
      ...(traffic ? { onTraffic: traffic } : {}),
    };
    const session = this.target.open ? await this.target.open(clientOpts) : await QmpClient.connect(this.target.transport, clientOpts);
    const close = () => void session.close(); // a stop while identifying fails its commands at once
    stop.addEventListener('abort', close, { once: true });
    try {
      if (stop.aborted) close();
      const at = (this.deps.now ?? Date.now)();
      const info = await identify(
        session,
        { host: this.opts.host ?? hostname(), socketName: this.target.label, connectedAt: at },
        this.deps.hostReader,
        traffic,
      );
      const r = this.deps.builder.connect(info, this.builderState);
      this.builderState = r.state;
      carry.targets = statsTargets(this.opts.statsTargets, info.statsSchemas);
      Object.assign(carry, { threads: info.threads, balloonPath: info.balloonPath }); // the QEMU process's threads, the balloon: read each tick
      this.tapWatch =
        this.target.discoverTaps === true && this.target.net.length === 0
          ? new TapWatch(vcpuThreadIds(info.cpus), this.deps.hostReader, (n) => this.deps.telemetry.tapNamesRejected.inc(this.labels, n), this.log)
          : undefined;
      return {
        opened: { identity: r.identity, at, snapshot: r.snapshot, ...connectNotices(info, this.target.id) },
        get closed() {
          return session.closed;
        },
        read: (slow) => this.read(session, carry, slow),
        close: () => session.close(),
      };
    } catch (err) {
      await session.close();
      throw err;
    } finally {
      stop.removeEventListener('abort', close);
    }
  }

  /** One tick. The Tick (every parsed reply) lives only in this call. */
  private async read(session: QmpSession, carry: TickCarry, due: boolean): Promise<SourceTick> {
    const slow = due || this.topologyChanged; // an event changed the block graph: off the slow grid, once
    this.topologyChanged = false;
    if (this.tapWatch) carry.net = this.tapWatch.taps(slow);
    const tick = await runTick(session, carry, slow, this.tickContext);
    if (carry.targets.length > 0 && tick.errors.some((e) => e.command.startsWith('query-stats:') && e.errorClass === 'CommandNotFound')) carry.targets = [];
    const r = this.deps.builder.build(this.builderState as S, tick);
    this.builderState = r.state;
    return { t: tick.t, sample: r.sample, snapshot: r.snapshot };
  }
}
