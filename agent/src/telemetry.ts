/**
 * The agent's fixed list of metrics (served at /metrics). Labels stay bounded:
 * `vm` is the socket's base name (one per VM on this host), `class` a QMP error
 * class or phase, `command` a QMP command name.
 */
import { LATENCY_BUCKETS, Registry, type Counter, type Gauge, type Histogram } from '#common/metrics.js';

export interface AgentTelemetry {
  registry: Registry;
  /** Fast ticks that produced a sample. */
  polls: Counter;
  /** Errors by VM and class (QMP class, or connect/greeting/timeout/...). */
  pollErrors: Counter;
  /** Ticks that failed (timeout or disconnect) and count towards stale. */
  ticksMissed: Counter;
  /** Ticks skipped because the previous one overran its interval. */
  ticksSkipped: Counter;
  qmpLatency: Histogram;
  tickDuration: Histogram;
  reconnects: Counter;
  /** 1 while a VM is stale (not answering), by VM. */
  vmStale: Gauge;
  vmsStale: Gauge;
  vms: Gauge;
  /** Records handed to the spool, by kind (Sample, QmpEvent, ...). */
  recordsQueued: Counter;
  /** Records acknowledged by Kafka. */
  recordsPublished: Counter;
  publishLatency: Histogram;
  publishErrors: Counter;
  spoolRecords: Gauge;
  spoolBytes: Gauge;
  spoolDropped: Counter;
  /** Records Kafka will never take (too large, refused for good), by reason. */
  deadLettered: Counter;
  /** QMP events over the per-VM cap, not published, by VM. */
  eventsSuppressed: Counter;
  /** A VM's QMP line limit, once raised above qmp.maxLineBytes. */
  lineLimit: Gauge;
  /** QMP messages read and not delivered (qmp/dropReport.ts), by VM and reason. */
  qmpDropped: Counter;
  /** Tap names QEMU's tun fds gave that are not interface names, not read (host/taps.ts), by VM. */
  tapNamesRejected: Counter;
}

export function createTelemetry(registry = new Registry()): AgentTelemetry {
  return {
    registry,
    polls: registry.counter('qmpipe_agent_polls_total', 'Fast-group ticks that produced a sample, by VM.'),
    pollErrors: registry.counter(
      'qmpipe_agent_poll_errors_total',
      'QMP errors by VM and class (QMP error class, or connect, greeting, negotiation, timeout, disconnected, protocol).',
    ),
    ticksMissed: registry.counter('qmpipe_agent_ticks_missed_total', 'Ticks that got no complete answer (timeout or disconnect), by VM.'),
    ticksSkipped: registry.counter('qmpipe_agent_ticks_skipped_total', 'Tick slots skipped because the previous tick overran, by VM.'),
    qmpLatency: registry.histogram('qmpipe_agent_qmp_latency_seconds', 'QMP command round-trip time, by command.', LATENCY_BUCKETS),
    tickDuration: registry.histogram('qmpipe_agent_tick_seconds', 'Wall time of one fast tick (all round trips).', LATENCY_BUCKETS),
    reconnects: registry.counter('qmpipe_agent_qmp_connects_total', 'Successful QMP connections (first and re-), by VM.'),
    vmStale: registry.gauge('qmpipe_agent_vm_stale', '1 while the VM is not answering QMP (connect failing or ticks missed), by VM.'),
    vmsStale: registry.gauge('qmpipe_agent_vms_stale', 'VMs currently stale.'),
    vms: registry.gauge('qmpipe_agent_vms', 'VMs being watched.'),
    recordsQueued: registry.counter('qmpipe_agent_records_queued_total', 'Records handed to the spool, by kind.'),
    recordsPublished: registry.counter('qmpipe_agent_records_published_total', 'Records acknowledged by Kafka (acks=all).'),
    publishLatency: registry.histogram('qmpipe_agent_publish_latency_seconds', 'Kafka produce request latency.', LATENCY_BUCKETS),
    publishErrors: registry.counter('qmpipe_agent_publish_errors_total', 'Failed produce attempts (retried), by error name.'),
    spoolRecords: registry.gauge('qmpipe_agent_spool_records', 'Records waiting for Kafka, by tier (memory, disk).'),
    spoolBytes: registry.gauge('qmpipe_agent_spool_bytes', 'Bytes waiting for Kafka, by tier (memory, disk).'),
    spoolDropped: registry.counter(
      'qmpipe_agent_spool_dropped_total',
      'Records dropped, by reason: the spool was full (oldest first), unwritable or corrupt, a dead letter could not be kept, or (unclean-exit) memory lost when the last run was killed.',
    ),
    eventsSuppressed: registry.counter(
      'qmpipe_agent_events_suppressed_total',
      'QMP events over qmp.maxEventsPerSecond, not published (summarized in an events-suppressed notice), by VM.',
    ),
    qmpDropped: registry.counter(
      'qmpipe_agent_qmp_messages_dropped_total',
      'QMP messages read and not delivered, by VM and reason (too-deep: nested past qmp.maxJsonDepth; handler-error: handling it threw).',
    ),
    tapNamesRejected: registry.counter(
      'qmpipe_agent_tap_names_rejected_total',
      "Names in QEMU's /dev/net/tun fdinfo that are not interface names (empty, over 15 bytes, '/' or whitespace), not read, by VM.",
    ),
    lineLimit: registry.gauge('qmpipe_agent_qmp_line_limit_bytes', "A VM's QMP line limit once its replies outgrew qmp.maxLineBytes, by VM."),
    deadLettered: registry.counter(
      'qmpipe_agent_records_dead_lettered_total',
      'Records Kafka will never take, written to the dead-letter file, by reason (a Kafka error type, or record-too-large).',
    ),
  };
}
