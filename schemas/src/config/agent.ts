/**
 * The agent's config (`qmpipe agent --config agent.json`), validated once at startup.
 * Every object is `.strict()` (unknown keys are errors, like serde's
 * deny_unknown_fields) and every default lives here. Secrets may come from the
 * environment instead (schemas/src/config/env.ts).
 */
import { z } from 'zod';
import { loadConfig, type ConfigSource } from '#common/config.js';
import { AGENT_ENV } from './env.js';
import { kafkaConnectionShape } from './kafka.js';
import { LogConfig } from './log.js';

const ms = z.number().int().positive();

/** Capped exponential backoff with jitter (common/src/retry.ts). `retries` is unused for reconnects: they go on forever. */
export const BackoffConfig = z
  .object({
    /** First delay, ms. */
    initialRetryTime: ms.default(300),
    multiplier: z.number().min(1).default(2),
    /** Jitter, ± this fraction of the delay. */
    factor: z.number().min(0).max(1).default(0.2),
    /** Cap, ms. */
    maxRetryTime: ms.default(30_000),
    retries: z.number().int().nonnegative().default(5),
  })
  .strict();

export const SocketEntry = z
  .object({
    /** Path of the VM's dedicated QMP unix socket (-qmp unix:PATH,server=on,wait=off). */
    path: z.string().min(1).optional(),
    /** Or a TCP QMP endpoint (loopback only in practice). */
    tcp: z
      .object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) })
      .strict()
      .optional(),
    /** Tap interfaces of this VM, read from /sys/class/net/<if>/statistics. Empty: on a unix socket, the taps QEMU's /dev/net/tun fds name (found on the host); listed, they override that. */
    net: z.array(z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/)).default([]),
  })
  .strict()
  .refine((s) => (s.path === undefined) !== (s.tcp === undefined), { message: 'give exactly one of path or tcp' });

export const VmsConfig = z
  .object({
    /** Explicit sockets. */
    sockets: z.array(SocketEntry).default([]),
    /** Directory globs such as /run/qmp/*.sock (only `*` and `?` in the last path segment), re-scanned periodically. */
    globs: z.array(z.string().min(1)).default([]),
    /** How often the globs are re-scanned: new sockets picked up, vanished ones dropped. */
    rescanIntervalMs: ms.default(5_000),
    /** Tap interfaces by socket base name without extension (e.g. "vm1" for /run/qmp/vm1.sock), for globbed VMs; a VM not listed gets the taps its QEMU holds (found on the host). */
    net: z.record(z.string(), z.array(z.string())).default({}),
  })
  .strict();

/**
 * A libvirt-managed host (libvirtd or virtqemud on this machine): the agent finds every
 * running domain itself and changes nothing in them (see agent/README.md, "libvirt hosts").
 */
export const LibvirtConfig = z
  .object({
    /** Only qemu:///system: the agent talks to the local system daemon's unix socket (no session, remote or tcp URIs). */
    uri: z
      .string()
      .regex(/^qemu:\/\/\/system$/, {
        error: (issue) =>
          `${JSON.stringify(issue.input)} is not accepted: only qemu:///system (the local system daemon, through its unix socket; no session, remote or tcp URIs)`,
      })
      .default('qemu:///system'),
    /** The daemon's socket (libvirtd; virtqemud: /run/libvirt/virtqemud-sock). */
    socket: z.string().min(1).default('/run/libvirt/libvirt-sock'),
    /**
     * `qmp`: the agent's own read-only QMP commands through libvirt's monitor (every series,
     * histograms included; libvirt marks the domain tainted custom-monitor). `stats`: libvirt's
     * supported bulk stats API and domain events only (no taint; no histograms or unit schemas).
     */
    mode: z.enum(['qmp', 'stats']).default('qmp'),
    /** `all` running domains, or their names. */
    domains: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]).default('all'),
    /** How often the domain list is re-read besides lifecycle events. */
    rescanIntervalMs: ms.default(30_000),
    /** Per libvirt call. */
    callTimeoutMs: ms.default(5_000),
  })
  .strict();

export const StatsProviderFilter = z
  .object({
    provider: z.string().min(1),
    /** Only these stats of the provider; all without. */
    names: z.array(z.string()).optional(),
    /** The query-stats targets (vm, vcpu, cryptodev, …) this filter applies to; all without. A target no filter applies to gets every provider. */
    targets: z.array(z.string().min(1)).optional(),
  })
  .strict();

export const QmpConfig = z
  .object({
    connectTimeoutMs: ms.default(2_000),
    /** Time allowed for the greeting and for qmp_capabilities. */
    handshakeTimeoutMs: ms.default(2_000),
    /** Per-command timeout. A command that times out counts as a missed tick. */
    commandTimeoutMs: ms.default(2_000),
    /**
     * Longest QMP line accepted at first. A longer reply (a VM with hundreds of disks)
     * doubles that VM's limit, up to maxLineBytesCeiling, and reconnects once.
     */
    maxLineBytes: z
      .number()
      .int()
      .min(4096)
      .max(8 << 20)
      .default(1 << 20),
    /**
     * The most a VM's line limit grows to; longer lines are a protocol error (flood/garbage
     * guard). At most 8 MiB: a line is held about four times over while it is read and
     * parsed, and the shipped units cap the agent at 192 MiB (Kubernetes) and 256 MiB (systemd).
     */
    maxLineBytesCeiling: z
      .number()
      .int()
      .min(4096)
      .max(8 << 20)
      .default(8 << 20),
    /**
     * Deepest nesting of objects and arrays in a QMP message that is parsed. A deeper event
     * is dropped and a deeper reply fails its command, both counted
     * (`qmpipe_agent_qmp_messages_dropped_total{reason="too-deep"}`); the connection goes on.
     * Replies nest about 10 levels plus one per backing image in query-block.
     */
    maxJsonDepth: z.number().int().min(16).max(1024).default(256),
    /**
     * Per-VM cap on QMP events published per second (a token bucket; the first event of
     * each name in a second always passes). Over it, events are counted and summarized in
     * an events-suppressed notice, so one VM's flood cannot push the others out of the spool.
     */
    maxEventsPerSecond: z.number().int().min(1).default(100),
    /** After this many consecutive failed ticks the VM is marked stale and the connection is re-opened. */
    staleAfterMissedTicks: z.number().int().min(1).default(3),
    /** Reconnect backoff. */
    reconnect: BackoffConfig.prefault({}),
    /** `on` adds block-set-write-threshold to the allowlist. The agent itself never sends it yet; it is for operators' tooling built on the client. */
    writeThreshold: z.enum(['off', 'on']).default('off'),
  })
  .strict();

export const SamplingConfig = z
  .object({
    /** Fast group: query-status, query-stats, query-blockstats (+ query-nodes), query-block-jobs. */
    fastIntervalMs: ms.default(1_000),
    /** Slow group: query-named-block-nodes {flat:true} and query-block. */
    slowIntervalMs: ms.default(10_000),
    /** query-stats targets; `auto` = every target query-stats-schemas offers (vm, vcpu, cryptodev, ...). */
    statsTargets: z.union([z.literal('auto'), z.array(z.string().min(1))]).default('auto'),
    /** Optional query-stats provider/name filters, per target, passed as `providers`. */
    statsProviders: z.array(StatsProviderFilter).optional(),
    /** Also send query-blockstats {query-nodes:true} each fast tick. */
    blockstatsNodes: z.enum(['on', 'off']).default('on'),
  })
  .strict()
  .refine((s) => s.slowIntervalMs >= s.fastIntervalMs, { message: 'slowIntervalMs must be >= fastIntervalMs' });

export const KafkaConfig = z
  .object({
    ...kafkaConnectionShape('qmpipe-agent'),
    rawTopic: z.string().min(1).default('qmpipe.raw'),
    /** Compacted topic of writer schemas keyed by fingerprint. */
    schemaTopic: z.string().min(1).default('qmpipe.schemas'),
    /**
     * `on`: create the raw and writer-schema topics on start if missing (needs the right to
     * create topics). `off`: the processor or `qmpipe topics create` creates them; the agent
     * waits for them, saying so in its log, with its records in the spool.
     */
    createTopics: z.enum(['on', 'off']).default('off'),
    /** Partitions of the raw topic, with createTopics on. */
    partitions: z.number().int().min(1).default(6),
    /** Replication factor of the topics created, with createTopics on; unset: the broker's default.replication.factor. */
    replicationFactor: z.number().int().min(1).optional(),
    /** How long records wait in the spool to form a batch. */
    lingerMs: z.number().int().min(0).default(50),
    /** Most records per produce request. */
    batchMaxRecords: z.number().int().min(1).default(1_000),
    batchMaxBytes: z
      .number()
      .int()
      .min(1024)
      .default(1 << 20),
    compression: z.enum(['gzip', 'none']).default('gzip'),
    /**
     * Largest encoded record sent, checked before it is spooled; a larger one goes to the
     * dead-letter file (spool.dir). Keep it at or under the raw topic's max.message.bytes.
     */
    maxRecordBytes: z.number().int().min(1024).default(1_000_000),
  })
  .strict();

export const SpoolConfig = z
  .object({
    /** Bytes of encoded records held in memory before they are written to disk segments. */
    memoryBytes: z
      .number()
      .int()
      .min(1024)
      .default(16 << 20),
    /**
     * Directory of on-disk segments, and of `memory-records` (how many records are in memory
     * only: counted as lost at the next start after a kill). Unset: memory only (past
     * memoryBytes the oldest are dropped; a kill loses the memory uncounted).
     */
    dir: z.string().optional(),
    /** Bound of the on-disk part; past it the oldest segment is dropped and counted. */
    diskBytes: z
      .number()
      .int()
      .min(0)
      .default(1 << 30),
    /** Bound of `<dir>/dead-letter.jsonl`, the records Kafka will never take; past it they are counted and dropped. */
    deadLetterBytes: z
      .number()
      .int()
      .min(0)
      .default(64 << 20),
  })
  .strict();

export const MetricsConfig = z
  .object({
    /** host:port of the /metrics endpoint (its labels name the VMs: keep it on loopback); `off` disables it. */
    listen: z.union([z.literal('off'), z.string().regex(/^[^\s:]+:\d+$/)]).default('127.0.0.1:9464'),
    /** host:port of a /healthz-only endpoint for probes (names nothing; may listen on every interface); `off` by default. */
    healthListen: z.union([z.literal('off'), z.string().regex(/^[^\s:]+:\d+$/)]).default('off'),
  })
  .strict();

export const AgentConfig = z
  .object({
    /** Host name put in every record; default os.hostname(). */
    host: z.string().min(1).optional(),
    vms: VmsConfig.prefault({}),
    /** Domains of the local libvirt daemon, besides (or instead of) sockets. */
    libvirt: LibvirtConfig.optional(),
    qmp: QmpConfig.prefault({}),
    sampling: SamplingConfig.prefault({}),
    kafka: KafkaConfig,
    spool: SpoolConfig.prefault({}),
    metrics: MetricsConfig.prefault({}),
    log: LogConfig.prefault({}),
    /** SIGTERM: how long to keep flushing the spool to Kafka before writing the rest to disk and exiting. */
    drainTimeoutMs: ms.default(10_000),
  })
  .strict();

export type AgentConfig = z.infer<typeof AgentConfig>;
export type AgentConfigInput = z.input<typeof AgentConfig>;
export type SocketEntry = z.infer<typeof SocketEntry>;
export type BackoffConfig = z.infer<typeof BackoffConfig>;
export type LibvirtConfig = z.infer<typeof LibvirtConfig>;

/** The agent config from a file (or a value) and the environment (env.ts), validated. */
export function loadAgentConfig(src: ConfigSource): AgentConfig {
  return loadConfig(AgentConfig, 'agent config', AGENT_ENV, src);
}
