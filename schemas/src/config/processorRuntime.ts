/**
 * The long-running processor's config (`qmpipe processor --config processor.json`):
 * where to read and write (Kafka, S3) around the core's config (`core`, see
 * processor.ts). `.strict()` everywhere, defaults here, secrets from the environment
 * (env.ts).
 */
import { z } from 'zod';
import { loadConfig, type ConfigSource } from '#common/config.js';
import { PROCESSOR_ENV } from './env.js';
import { kafkaConnectionShape } from './kafka.js';
import { LogConfig } from './log.js';
import { ProcessorConfig } from './processor.js';
import { SINK_SETTINGS } from './sinks.js';

const ms = z.number().int().positive();

export const ProcessorKafkaConfig = z
  .object({
    ...kafkaConnectionShape('qmpipe-processor'),
    /** Consumer group: every instance of one deployment shares it. */
    groupId: z.string().min(1).default('qmpipe-processor'),
    rawTopic: z.string().min(1).default('qmpipe.raw'),
    /** The agent's compacted topic of Avro writer schemas (fingerprint → canonical form). */
    schemaTopic: z.string().min(1).default('qmpipe.schemas'),
    /**
     * A record whose writer schema is unknown makes the processor read the schema topic again
     * (an agent was upgraded), for at most this long, before the record is dead-lettered.
     */
    schemaWaitMs: z.number().int().min(0).default(10_000),
    /** A writer schema still unknown after the wait is not looked for again for this long. */
    schemaRetryAfterMs: z.number().int().min(0).default(60_000),
    alertsTopic: z.string().min(1).default('qmpipe.alerts'),
    /** Per-series rates; `off` publishes none. */
    ratesTopic: z.union([z.literal('off'), z.string().min(1)]).default('off'),
    deadLetterTopic: z.string().min(1).default('qmpipe.dlq'),
    /**
     * Closed rollup windows, published inside the processor's transaction (Avro
     * schemas/avro/rollupwindow.avsc, keyed by raw-topic partition); the rollup writer
     * reads them (read_committed) and writes the Parquet objects to S3.
     */
    rollupsTopic: z.string().min(1).default('qmpipe.rollups'),
    /** Compacted; one partition per raw-topic partition, keyed by "<rawTopic>:<partition>". */
    checkpointTopic: z.string().min(1).default('qmpipe.checkpoints'),
    /**
     * max.message.bytes of the checkpoint topic when the processor creates it: one message
     * holds a partition's whole state (about 1–10 B per series compressed, plus open rollup rows).
     */
    checkpointMaxMessageBytes: z
      .number()
      .int()
      .min(1 << 20)
      .default(64 << 20),
    /** Prefix of the per-input-partition transactional ids (one producer per input partition). */
    transactionalIdPrefix: z.string().min(1).default('qmpipe-processor'),
    /**
     * `on`: the processor creates the pipeline's missing topics at start (raw, writer schemas,
     * checkpoints, alerts, rates, dead letters; existing ones are left as they are), as
     * `qmpipe topics create` does. `off`: they must exist.
     */
    createTopics: z.enum(['on', 'off']).default('on'),
    /** Partitions of the raw topic when it is created (the other per-partition topics follow the raw topic's count). */
    rawPartitions: z.number().int().min(1).default(6),
    /**
     * Replication factor of the topics created; unset: the broker's default.replication.factor.
     * Only a single-broker cluster (the local stack) should say 1: a lost broker loses acknowledged data.
     */
    replicationFactor: z.number().int().min(1).optional(),
    /**
     * How often a partition's full state is checkpointed (inside one of its transactions).
     * Every transaction commits outputs and offsets; a new owner restores the last
     * checkpoint and replays from it to the committed offset without re-publishing, so
     * this trades take-over time for the cost of serializing the state.
     */
    checkpointIntervalMs: z.number().int().min(0).default(10_000),
    /** Fetch size per partition: a larger batch means fewer transactions when catching up. */
    fetchMaxBytesPerPartition: z
      .number()
      .int()
      .min(1 << 16)
      .default(8 << 20),
    /**
     * Partitions whose batches run at once (kafkajs partitionsConsumedConcurrently).
     * Order within a partition is kept; each partition has its own state and
     * transactional producer, so while one waits on S3 or its transaction commit,
     * another is processed.
     */
    partitionsConcurrently: z.number().int().min(1).default(4),
    /** Most messages folded into one transaction per partition. */
    maxBatchMessages: z.number().int().min(1).default(5_000),
    sessionTimeoutMs: ms.default(30_000),
  })
  .strict();

export const ProcessorS3Config = z
  .object({
    bucket: z.string().min(3),
    /** Key prefix of rollup objects. */
    prefix: z.string().default('rollups'),
    region: z.string().default('us-east-1'),
    /** S3-compatible endpoint (S3Proxy, MinIO); unset for AWS S3. */
    endpoint: z.string().url().optional(),
    forcePathStyle: z.boolean().default(false),
    /** Prefer AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the default credential chain. */
    accessKeyId: z.string().optional(),
    secretAccessKey: z.string().optional(),
    createBucket: z.enum(['on', 'off']).default('off'),
  })
  .strict();

/** Rollup windows (the Lambda handler shares these). */
export const ProcessorRollupsConfig = z
  .object({
    /** A window's object is written once the partition's event time passes its end by this much. */
    allowedLatenessMs: z.number().int().min(0).default(10_000),
  })
  .strict();

export const ProcessorRuntimeConfig = z
  .object({
    kafka: ProcessorKafkaConfig,
    s3: ProcessorS3Config,
    rollups: ProcessorRollupsConfig.extend({
      /** Most rows in one rollups-topic record: a larger window travels in several chunks. */
      maxRowsPerRecord: z.number().int().min(1).default(2_000),
      /** Most encoded bytes (an upper bound) in one rollups-topic record; well under the broker's 1 MB default. */
      maxRecordBytes: z
        .number()
        .int()
        .min(1 << 12)
        .default(512 << 10),
    })
      .strict()
      .prefault({}),
    input: z
      .object({
        /** A raw-topic message larger than this is dead-lettered (RECORD_TOO_LARGE) without being decoded. */
        maxRecordBytes: z
          .number()
          .int()
          .min(1 << 10)
          .default(1 << 20),
      })
      .strict()
      .prefault({}),
    /**
     * What this process runs: `all` (default) the stream processor and the rollup writer
     * side by side, `stream` only the consumer of the raw topic (alerts, rates, rollup
     * windows to the rollups topic), `rollup-writer` only the writer of the rollups topic
     * to S3. `qmpipe processor --role` overrides it.
     */
    role: z.enum(['all', 'stream', 'rollup-writer']).default('all'),
    rollupWriter: z
      .object({
        /** The writer's own consumer group (its offsets: records whose objects are stored). */
        groupId: z.string().min(1).default('qmpipe-rollup-writer'),
        /** How often the writer commits its offsets (and when it stops); what a crash reads again is skipped where stored. */
        commitIntervalMs: z.number().int().min(0).default(5_000),
        /** While S3 fails: one log line per this interval, with the failures since the last one. */
        logIntervalMs: ms.default(10_000),
        /** Rollups-topic partitions written at once. */
        partitionsConcurrently: z.number().int().min(1).default(4),
        /**
         * Objects: one per raw-topic partition, resolution and hour (1 h and longer: day),
         * cut earlier when it would hold more rows than this (docs/rollups.md).
         */
        maxObjectRows: z.number().int().min(1).default(4_000_000),
        /** …or once its encoded bytes reach this. */
        maxObjectBytes: z
          .number()
          .int()
          .min(1)
          .default(256 * 1024 * 1024),
        /** Encoded bytes held in open objects, all partitions together: past it, the largest is written early. */
        maxBufferedBytes: z
          .number()
          .int()
          .min(1)
          .default(1024 * 1024 * 1024),
        /**
         * An open object no window was added to for this long is written (a quiet partition's
         * rows reach S3 without waiting for its hour or day to end). Longer than the coarsest
         * resolution under a day, so steady hourly windows still make one object per day.
         */
        flushIdleMs: ms.default(5_400_000),
      })
      .strict()
      .prefault({}),
    /**
     * S3 outage: one put of the rollup writer is tried `retries` more times with capped
     * exponential backoff; when they ran out, the writer waits `pauseMs` and tries again,
     * for as long as S3 is down (its records wait in the rollups topic).
     */
    s3Retry: z
      .object({
        initialRetryTime: ms.default(300),
        maxRetryTime: ms.default(10_000),
        retries: z.number().int().min(0).default(4),
        /**
         * How long the rollup writer waits after a put's retries ran out (and a partition
         * whose before-commit sink failed stays paused) before trying again.
         */
        pauseMs: ms.default(5_000),
      })
      .strict()
      .prefault({}),
    core: ProcessorConfig.prefault({}),
    ...SINK_SETTINGS,
    metrics: z
      .object({
        /** host:port of /metrics and /healthz, or `off`. */
        listen: z.union([z.literal('off'), z.string().regex(/^[^\s:]+:\d+$/)]).default('127.0.0.1:9465'),
        /** /healthz answers 503 once a partition this instance owns has had lag but no commit for this long (seconds). */
        healthStallSeconds: z.number().int().min(1).default(300),
      })
      .strict()
      .prefault({}),
    log: LogConfig.prefault({}),
  })
  .strict();

export type ProcessorRuntimeConfig = z.infer<typeof ProcessorRuntimeConfig>;
export type ProcessorRuntimeConfigInput = z.input<typeof ProcessorRuntimeConfig>;

/** The processor config from a file (or a value) and the environment (env.ts), validated. */
export function loadProcessorRuntimeConfig(src: ConfigSource): ProcessorRuntimeConfig {
  return loadConfig(ProcessorRuntimeConfig, 'processor config', PROCESSOR_ENV, src);
}
