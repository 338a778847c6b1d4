/**
 * The AWS Lambda handler's config (processor/src/lambda/handler.ts). Lambda has no
 * config file: every setting comes from the environment (env.ts, LAMBDA_ENV), or the
 * whole config as JSON in QMPIPE_CONFIG. The Kafka and S3 sections are the
 * long-running processor's (processorRuntime.ts), so TLS and SASL are configured the
 * same way; only what the handler uses is kept. The sinks' settings are the same
 * entries (sinks.ts).
 */
import { z } from 'zod';
import { loadConfig } from '#common/config.js';
import { LAMBDA_ENV } from './env.js';
import { kafkaConnectionShape } from './kafka.js';
import { LogConfig } from './log.js';
import { ProcessorConfig } from './processor.js';
import { ProcessorKafkaConfig, ProcessorRollupsConfig, ProcessorRuntimeConfig, ProcessorS3Config } from './processorRuntime.js';
import { SINK_SETTINGS } from './sinks.js';

export const LambdaConfig = z
  .object({
    kafka: z
      .object({
        ...kafkaConnectionShape('qmpipe-lambda'),
        ...ProcessorKafkaConfig.pick({ schemaTopic: true, schemaWaitMs: true, schemaRetryAfterMs: true, alertsTopic: true }).shape,
      })
      .strict(),
    s3: ProcessorS3Config.omit({ createBucket: true }),
    /** Key prefix of the per-partition checkpoints (conditional writes). */
    checkpointPrefix: z.string().min(1).default('checkpoints'),
    /** Key prefix of dead letters (one object per invocation and partition that had any). */
    deadLetterPrefix: z.string().min(1).default('deadletters'),
    rollups: ProcessorRollupsConfig.prefault({}),
    input: ProcessorRuntimeConfig.shape.input,
    core: ProcessorConfig.prefault({}),
    ...SINK_SETTINGS,
    log: LogConfig.prefault({}),
  })
  .strict();

export type LambdaConfig = z.infer<typeof LambdaConfig>;

/** The handler's config from the environment, validated; a ConfigError names the variable or setting. */
export function loadLambdaConfig(env: NodeJS.ProcessEnv): LambdaConfig {
  return loadConfig(LambdaConfig, 'lambda config', LAMBDA_ENV, { env });
}
