/**
 * The processor's config (`qmpipe replay --config FILE`, `qmpipe processor --config FILE`),
 * validated once at the edge. Every object is `.strict()` and every default lives here.
 *
 * Alert defaults follow oVirt VDSM (lib/vdsm/virt/thinp.py, vmdevices/storage.py):
 * extension chunk 2560 MiB, utilization 20 % → watermark limit 0.8·chunk = 2048 MiB,
 * maximum size capacity·1.1. The ratio form (allocation/physical ≥ 80 % / 95 %) makes
 * small devices, such as test LVs smaller than one chunk, alert meaningfully too.
 */
import { z } from 'zod';
import { parseConfig, readJsonFile } from '#common/config.js';

const posInt = z.number().int().positive();
const fraction = z.number().gt(0).lt(1);

export const AlertType = z.enum([
  'watermark',
  'time-to-full',
  'commit-growth',
  'paused-enospc',
  'threshold-crossed',
  'block-job-error',
  'improbable-allocation',
  'stale',
  'io-errors',
  'clock-skew',
]);
export type AlertType = z.infer<typeof AlertType>;

export const RateConfig = z
  .object({
    /** The agent's fast-group interval (agent sampling.fastIntervalMs). */
    sampleIntervalMs: posInt.default(1_000),
    /** A gap longer than gapMultiple × sampleIntervalMs breaks every rate: nothing is averaged across missing data. */
    gapMultiple: z.number().min(1).default(3),
  })
  .strict();

export const StateConfig = z
  .object({
    /** A VM with no record for this long (event time of the partition) is evicted: windows flushed, alerts resolved. */
    ttlSeconds: posInt.default(900),
    /** Most series held per partition; new series past the cap are dropped and counted (seriesOverflow). Each backing-chain element counts as one. */
    maxSeries: posInt.default(2_000_000),
    /** Most series one VM may hold: a VM with thousands of disks cannot take its partition's room (also seriesOverflow). */
    maxSeriesPerVm: posInt.default(50_000),
    /** How often (partition event time) stale detection and TTL eviction run; each sweep visits every VM. */
    sweepIntervalMs: posInt.default(5_000),
  })
  .strict();

export const ClockConfig = z
  .object({
    /**
     * A record stamped more than this ahead of the partition's clock (the latest record time
     * admitted) is refused: dead letter CLOCK_AHEAD, counted; it moves no clock.
     */
    maxAheadMs: posInt.default(300_000),
    /** A record stamped more than this before its VM's last record is refused: CLOCK_BEHIND. */
    maxBehindMs: posInt.default(300_000),
    /**
     * Rollup windows close by the slowest host whose clock is at most this far behind the
     * partition's: a host running a little late still lands in its windows; one further
     * behind (or silent) for longer does not hold every window back. Its rows come late.
     */
    hostLagMs: posInt.default(60_000),
    /**
     * Each host's clock offset is measured against the raw topic's broker timestamps
     * (message.timestamp.type=LogAppendTime) and taken off its record times, so a host up
     * to this far off, either way, is monitored in full in true time. Further off, its
     * records are refused (dead letter CLOCK_SKEW, counted) and a `clock-skew` alert fires
     * for the host until its clock comes back within.
     */
    maxSkewMs: posInt.default(300_000),
    /**
     * A host's record times are left as they are while its measured offset stays within
     * this of the offset taken off them: delivery delay (batching, network) is not taken
     * for a clock offset, and a host's times move only when its clock did.
     */
    skewToleranceMs: posInt.default(5_000),
  })
  .strict();

export const GrowthConfig = z
  .object({
    /**
     * `window`: mean growth over the last windowSeconds (chosen on the fixtures; see
     * processor/src/core/chain/growth.ts). `ewma`: exponentially weighted per-interval growth.
     */
    method: z.enum(['window', 'ewma']).default('window'),
    windowSeconds: z.number().positive().default(5),
    /** Weight of the newest interval for `ewma`. */
    ewmaAlpha: fraction.default(0.5),
  })
  .strict();

export const RollupConfig = z
  .object({
    /** Tumbling event-time windows, ms (1 min, 1 h, 1 day). */
    resolutionsMs: z.array(posInt).min(1).max(4).default([60_000, 3_600_000, 86_400_000]),
  })
  .strict()
  .refine((r) => r.resolutionsMs.every((x, i, all) => i === 0 || (x > all[i - 1]! && x % all[0]! === 0)), {
    message: 'resolutionsMs must ascend, each a multiple of the first (coarser windows are merged from the finest)',
    path: ['resolutionsMs'],
  });

export const WatermarkConfig = z
  .object({
    /** `limit`: free < limit (VDSM). `ratio`: allocation/physical ≥ ratio. `auto`: ratio for devices smaller than one chunk, else limit. */
    mode: z.enum(['auto', 'limit', 'ratio']).default('auto'),
    /** VDSM volume_utilization_chunk_mb. */
    chunkMiB: posInt.default(2_560),
    /** VDSM volume_utilization_percent: limit = (100 − percent)·chunk/100. */
    utilizationPercent: z.number().int().min(1).max(99).default(20),
    /** Critical below this much free space (VDSM's pre-2022 trigger, 512 MiB). */
    criticalFreeMiB: posInt.default(512),
    warningRatio: fraction.default(0.8),
    criticalRatio: fraction.default(0.95),
    /** Resolve only once the ratio is this much below the threshold it crossed. */
    hysteresisRatio: z.number().min(0).max(0.5).default(0.02),
    /** Resolve only once free is this much above the limit it crossed. */
    hysteresisMiB: z.number().int().min(0).default(128),
  })
  .strict()
  .refine((w) => w.criticalRatio > w.warningRatio, { message: 'criticalRatio must be above warningRatio' });

export const TimeToFullConfig = z
  .object({
    /** How long an extension takes (VDSM measured 2.2–6.2 s). */
    extendLatencySeconds: z.number().positive().default(5),
    /** Warning when time-to-full < warningFactor × extendLatencySeconds. */
    warningFactor: z.number().min(1).default(3),
    /** Critical when time-to-full < criticalFactor × extendLatencySeconds. */
    criticalFactor: z.number().positive().default(1),
    /** Resolve once time-to-full is above clearFactor × the horizon it crossed. */
    clearFactor: z.number().min(1).default(1.25),
    /** Growth below this (bytes/s) counts as no growth. */
    minGrowthBytesPerSecond: z.number().min(0).default(4_096),
  })
  .strict();

export const CommitGrowthConfig = z
  .object({
    /** Smoothed growth of a backing element above this (bytes/s) during a block job fires. */
    minGrowthBytesPerSecond: z.number().min(0).default(4_096),
  })
  .strict();

export const ImprobableConfig = z
  .object({
    /** allocation > physical + margin is improbable (VDSM: allocation beyond the next extension). Default: one chunk. */
    marginMiB: posInt.optional(),
    /** allocation > capacity × this is improbable (VDSM VOLWM_COW_OVERHEAD). */
    capacityFactor: z.number().min(1).default(1.1),
  })
  .strict();

/**
 * The labels an alert carries in Alertmanager (alerts/src/alertmanager.ts); a static label
 * may not reuse one (nor `node`, `backing_index` and `type`, which sinks use).
 */
export const ALERT_LABEL_NAMES: ReadonlySet<string> = new Set([
  'alertname',
  'severity',
  'host',
  'vm',
  'vm_uuid',
  'device',
  'image',
  'block_job',
  'node',
  'backing_index',
  'type',
]);
/** A Prometheus label name; `__` starts the names Prometheus reserves. */
const LABEL_NAME = /^(?!__)[a-zA-Z_][a-zA-Z0-9_]*$/;
const MAX_STATIC_LABELS = 16;

export const AlertRoutingConfig = z
  .object({
    /**
     * The runbook_url annotation of an alert of type T is `<runbookBase>#T` (docs/runbooks.md
     * has one section per type); set it to where your docs are served.
     */
    runbookBase: z.string().min(1).max(1024).default('docs/runbooks.md'),
    /** A runbook URL of its own for some alert types, instead of their section under runbookBase. */
    runbooks: z.partialRecord(AlertType, z.string().min(1).max(1024)).default({}),
    /**
     * Labels added to every alert, e.g. {"cluster": "eu-1", "region": "eu"}: Prometheus label
     * names (not starting with __, none of the alert's own labels), values of 1 to 256 characters, at most 16.
     */
    staticLabels: z
      .preprocess(
        (raw, ctx) => {
          // A record schema drops a `__proto__` key silently (JSON.parse makes it an own key): refuse it instead.
          if (typeof raw === 'object' && raw !== null && Object.hasOwn(raw, '__proto__')) {
            ctx.addIssue({ code: 'custom', input: raw, message: '__proto__: a Prometheus label name not starting with __' });
          }
          return raw;
        },
        z.record(z.string().regex(LABEL_NAME, 'a Prometheus label name not starting with __'), z.string().min(1).max(256)),
      )
      .default({})
      .superRefine((labels, ctx) => {
        const names = Object.keys(labels);
        if (names.length > MAX_STATIC_LABELS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_STATIC_LABELS} labels` });
        for (const n of names) if (ALERT_LABEL_NAMES.has(n)) ctx.addIssue({ code: 'custom', path: [n], message: `${n} is a label of the alert itself` });
      }),
  })
  .strict();

export const AlertsConfig = z
  .object({
    /** Runbook links and static labels of every alert. */
    routing: AlertRoutingConfig.prefault({}),
    /** Alert types to skip entirely. */
    disabled: z.array(AlertType).default([]),
    watermark: WatermarkConfig.prefault({}),
    timeToFull: TimeToFullConfig.prefault({}),
    commitGrowth: CommitGrowthConfig.prefault({}),
    improbable: ImprobableConfig.prefault({}),
    /** `stale` fires after this many sample intervals without a Sample from a running VM. */
    staleIntervals: posInt.default(5),
    /** `io-errors` resolves after this many intervals without new failed writes. */
    ioErrorsClearIntervals: posInt.default(3),
  })
  .strict();

export const ProcessorConfig = z
  .object({
    rates: RateConfig.prefault({}),
    state: StateConfig.prefault({}),
    clock: ClockConfig.prefault({}),
    growth: GrowthConfig.prefault({}),
    rollup: RollupConfig.prefault({}),
    alerts: AlertsConfig.prefault({}),
  })
  .strict();

export type ProcessorConfig = z.infer<typeof ProcessorConfig>;
export type ProcessorConfigInput = z.input<typeof ProcessorConfig>;
export type WatermarkConfig = z.infer<typeof WatermarkConfig>;
export type ClockConfig = z.infer<typeof ClockConfig>;
export type TimeToFullConfig = z.infer<typeof TimeToFullConfig>;
export type AlertRoutingConfig = z.infer<typeof AlertRoutingConfig>;

/** The config with every default. */
export function defaultProcessorConfig(): ProcessorConfig {
  return ProcessorConfig.parse({});
}

/**
 * The core's config for the offline tools (`qmpipe replay|domstats --config FILE`):
 * a core config file, or a processor config file whose `core` section is used;
 * no file → every default.
 */
export function loadProcessorConfig(file: string | undefined): ProcessorConfig {
  if (file === undefined) return ProcessorConfig.parse({});
  const raw = readJsonFile(file, 'processor config');
  const isRuntime = typeof raw === 'object' && raw !== null && 'core' in raw && 'kafka' in raw;
  return isRuntime ? parseConfig(ProcessorConfig, (raw as { core: unknown }).core, `${file} (core)`) : parseConfig(ProcessorConfig, raw, file);
}
