/**
 * The settings of the processor's sinks (processor/src/sinks/: where a partition's outputs
 * go besides its commit), one entry per sink, spread into both shells' configs: the
 * long-running processor's (processorRuntime.ts) and the Lambda's (lambda.ts). A new sink
 * writes its settings once, here; its environment variables go in env.ts (SINK_ENV).
 * The Parquet rollups use the `s3` section, whose bucket also holds the Lambda's checkpoints.
 */
import { z } from 'zod';
import { RemoteWriteConfig } from './remoteWrite.js';

export const SINK_SETTINGS = {
  /** Series to a Prometheus remote-write receiver, after each commit (processor/README.md). */
  remoteWrite: RemoteWriteConfig.prefault({}),
};

export const SinksConfig = z.object(SINK_SETTINGS).strict();
export type SinksConfig = z.infer<typeof SinksConfig>;
