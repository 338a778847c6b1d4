/**
 * The agent's composition root: config → discovery → one poll loop per VM → spool →
 * Kafka publisher, plus /metrics. Nothing here decides anything; it wires and
 * orders start-up and shutdown.
 *
 * Shutdown (`stop`, on SIGTERM): stop discovery, stop every poller (no more records),
 * then drain the spool to Kafka for up to `drainTimeoutMs`, persist the rest to the
 * spool dir, disconnect, close /metrics.
 */
import { describeError } from '#common/errors.js';
import { silentLogger, type Logger } from '#common/log.js';
import { serveMetrics } from '#common/metrics.js';
import type { AgentConfig, BackoffConfig, LibvirtConfig } from '#schemas/config/agent.js';
import { Discovery, type DiscoveryCallbacks } from './discovery/discovery.js';
import { LibvirtDiscovery } from './libvirt/discovery.js';
import { readOnlySocketOf } from './libvirt/client.js';
import { domainRef, LibvirtHost } from './libvirt/host.js';
import { StatsBatch } from './libvirt/statsBatch.js';
import { STATS_FLAGS, STATS_GROUPS, STATS_SLOW_GROUPS, StatsSource } from './libvirt/statsSource.js';
import { openMonitorSession } from './libvirt/monitorSession.js';
import { sysfsReader, type HostReader } from './host/sysfs.js';
import { KafkaPublisher } from './kafka/publisher.js';
import { QmpClient } from './qmp/client.js';
import { DropReport, type QmpDrop } from './qmp/dropReport.js';
import type { SampleBuilder } from './sample/seam.js';
import { pollerOptions } from './poller/options.js';
import { PollLoop } from './poller/pollLoop.js';
import { VmPoller, type Poller } from './poller/vmPoller.js';
import type { VmTarget } from './poller/vmTarget.js';
import { sampleBuilder } from './sample/sampleBuilder.js';
import { DeadLetterFile } from './spool/deadLetter.js';
import { GapNotices } from './vmNotices.js';
import { Spool, type SpoolOptions } from './spool/spool.js';
import { createTelemetry, type AgentTelemetry } from './telemetry.js';

export interface AgentDeps {
  logger?: Logger;
  builder?: SampleBuilder<unknown>;
  hostReader?: HostReader;
}

export interface AgentHandle {
  telemetry: AgentTelemetry;
  pollers: ReadonlyMap<string, Poller>;
  /** Port of /metrics when enabled. */
  metricsPort: number | undefined;
  /** Port of the /healthz-only endpoint when enabled. */
  healthPort: number | undefined;
  stop(): Promise<void>;
}

/**
 * The spool on `spool.dir`; drops logged once per reason and then at every power of ten.
 * A dir the agent cannot create or read (read-only, permissions) is an error logged
 * once: the agent then spools in memory only rather than not monitoring at all.
 */
function openSpool(cfg: AgentConfig, log: Logger, onDrop: NonNullable<SpoolOptions['onDrop']>): Spool {
  const logged = new Map<string, number>();
  let spool: Spool | undefined;
  const opts: SpoolOptions = {
    memoryBytes: cfg.spool.memoryBytes,
    dir: cfg.spool.dir,
    diskBytes: cfg.spool.diskBytes,
    onDrop: (n, reason, byKey) => {
      onDrop(n, reason, byKey);
      const total = (logged.get(reason) ?? 0) + n;
      const before = logged.get(reason) ?? 0;
      logged.set(reason, total);
      if (before === 0 || Math.floor(Math.log10(total)) > Math.floor(Math.log10(before))) {
        const why =
          reason === 'disk-write-failed'
            ? `spool disk write failed (${spool?.lastDiskError ?? 'see the dir'})`
            : reason === 'unclean-exit'
              ? 'spool: records held in memory were lost when the last run ended without a clean stop (killed, OOM or crash)'
              : `spool: records dropped (${reason})`;
        log.warn(why, { reason, dropped: n, droppedTotal: total, dir: cfg.spool.dir });
      }
    },
  };
  try {
    spool = new Spool(opts);
  } catch (err) {
    log.error('spool dir unusable: spooling in memory only', { dir: cfg.spool.dir, error: describeError(err) });
    spool = new Spool({ ...opts, dir: undefined });
  }
  return spool;
}

export async function startAgent(cfg: AgentConfig, deps: AgentDeps = {}): Promise<AgentHandle> {
  const log = deps.logger ?? silentLogger;
  const telemetry = createTelemetry();
  const pollers = new Map<string, Poller>();
  const gaps = new GapNotices(() => pollers.values());
  const spool = openSpool(cfg, log, (n, reason, byKey) => {
    telemetry.spoolDropped.inc({ reason }, n);
    // Tell each VM's consumers why its seq has a gap (later: we are inside spool.push).
    for (const [uuid, count] of byKey) gaps.add(uuid, 'spool-dropped', reason, count);
  });
  if (spool.records > 0) log.info('spool recovered from disk', { records: spool.records, dir: cfg.spool.dir });
  const deadLetters = new DeadLetterFile(spool.dir, cfg.spool.deadLetterBytes);
  const publisher = new KafkaPublisher(cfg.kafka, spool, telemetry, log, {
    file: deadLetters,
    onDeadLetter: (uuid, reason) => gaps.add(uuid, 'dead-lettered', reason, 1),
  });
  publisher.start();

  const opts = pollerOptions(cfg);
  let statsPollerOf: ((t: VmTarget) => Poller | undefined) | undefined;
  const builder = deps.builder ?? (sampleBuilder as SampleBuilder<unknown>);
  const hostReader = deps.hostReader ?? sysfsReader();
  const callbacks: DiscoveryCallbacks = {
    added: (t) => {
      const p: Poller =
        statsPollerOf?.(t) ?? new VmPoller(reportingDrops(t, cfg, telemetry, log), opts, { builder, sink: publisher, hostReader, telemetry, logger: log });
      pollers.set(t.id, p);
      telemetry.vms.set({}, pollers.size);
      log.info('watching VM', { socket: t.id, vm: t.label });
      p.start();
    },
    removed: (id) => {
      const p = pollers.get(id);
      pollers.delete(id);
      telemetry.vms.set({}, pollers.size);
      log.info('VM socket vanished; stopped watching', { socket: id });
      void p?.stop().then(() => telemetry.vmStale.remove({ vm: p.target.label }));
    },
  };
  const discovery = new Discovery(cfg.vms, callbacks);
  discovery.start();
  const libvirt = cfg.libvirt ? libvirtHost(cfg.libvirt, cfg.qmp.reconnect, log) : undefined;
  if (libvirt && cfg.libvirt?.mode === 'stats') {
    // libvirt's stats mode: a domain is polled through libvirt's bulk stats instead of QMP, one call per tick for the host.
    const batch = new StatsBatch({ intervalMs: opts.fastIntervalMs, groups: STATS_GROUPS, slowGroups: STATS_SLOW_GROUPS, flags: STATS_FLAGS });
    statsPollerOf = (t) =>
      t.transport.kind === 'libvirt'
        ? new PollLoop(
            t,
            opts,
            { sink: publisher, telemetry, logger: log },
            new StatsSource(t, libvirt.host, domainRef(t.transport.domain, t.id.slice('libvirt:'.length)), opts, {
              readStats: batch.read,
              processStats: (th) => hostReader.processStats(th),
            }),
          )
        : undefined;
  }
  libvirt?.start(callbacks);

  const listen = (at: string, registry: typeof telemetry.registry | undefined) => {
    const i = at.lastIndexOf(':');
    return serveMetrics(registry, at.slice(0, i), Number(at.slice(i + 1)), () => publisher.health());
  };
  const metrics = cfg.metrics.listen === 'off' ? undefined : await listen(cfg.metrics.listen, telemetry.registry);
  const health = cfg.metrics.healthListen === 'off' ? undefined : await listen(cfg.metrics.healthListen, undefined);
  log.info('agent started', {
    vms: pollers.size,
    globs: cfg.vms.globs,
    metrics: metrics ? `${cfg.metrics.listen.slice(0, cfg.metrics.listen.lastIndexOf(':'))}:${metrics.port}` : 'off',
  });

  return {
    telemetry,
    pollers,
    metricsPort: metrics?.port,
    healthPort: health?.port,
    async stop() {
      discovery.stop();
      libvirt?.discovery.stop();
      gaps.flush();
      await Promise.all([...pollers.values()].map((p) => p.stop()));
      log.info('pollers stopped; draining spool', { records: spool.records });
      await libvirt?.host.stop();
      await publisher.stop(cfg.drainTimeoutMs);
      log.info('agent stopped', {
        published: telemetry.recordsPublished.value(),
        left: spool.records,
        persisted: cfg.spool.dir !== undefined,
        dropped: spool.dropped,
      });
      await metrics?.close();
      await health?.close();
    },
  };
}

/**
 * The target with its QMP sessions opened under qmp.maxJsonDepth, and what they drop
 * counted on /metrics and logged (once a minute at most) for this VM across reconnects.
 */
function reportingDrops(t: VmTarget, cfg: AgentConfig, telemetry: AgentTelemetry, log: Logger): VmTarget {
  const vm = t.label;
  const report = new DropReport(log.child({ vm, socket: t.id }), (reason) => telemetry.qmpDropped.inc({ vm, reason }));
  const guard = { maxJsonDepth: cfg.qmp.maxJsonDepth, onDropped: (d: QmpDrop) => report.note(d) };
  const open = t.open;
  return { ...t, open: (o) => (open ? open({ ...o, ...guard }) : QmpClient.connect(t.transport, { ...o, ...guard })) };
}

/** The libvirt host connection, and its domain discovery once started (QEMU's monitor through libvirt in the `qmp` mode). */
function libvirtHost(cfg: LibvirtConfig, reconnect: BackoffConfig, log: Logger) {
  // `stats` only reads: libvirt's read-only socket and a read-only connection. `qmp` passes QMP
  // commands through, which libvirt allows only on a read-write connection.
  const readOnly = cfg.mode === 'stats';
  const socketPath = readOnly ? readOnlySocketOf(cfg.socket) : cfg.socket;
  const host = new LibvirtHost({ uri: cfg.uri, socketPath, readOnly, callTimeoutMs: cfg.callTimeoutMs, reconnect, logger: log });
  const discovery = { stop: () => {} };
  return {
    host,
    discovery,
    start(callbacks: DiscoveryCallbacks): void {
      const d = new LibvirtDiscovery(
        host,
        { uri: cfg.uri, domains: cfg.domains, rescanIntervalMs: cfg.rescanIntervalMs, logger: log },
        callbacks,
        (dom) => (o) => openMonitorSession(host, dom, o),
      );
      discovery.stop = () => d.stop();
      d.start();
      host.start();
    },
  };
}
