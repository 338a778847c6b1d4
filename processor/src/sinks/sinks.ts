/**
 * The sink list, built from config by one factory for both shells (the Kafka runtime's
 * main.ts and the Lambda's handler.ts). A new sink is one file exporting a `SinkFactory`,
 * one row here, and its settings in schemas/src/config/sinks.ts.
 */
import { parquetRollupSink } from './parquetRollups.js';
import { rollupsTopicSink } from './rollupsTopic.js';
import { remoteWriteSink } from './remoteWrite/fromConfig.js';
import type { Sink, SinkConfig, SinkContext, SinkFactory } from './sink.js';

/**
 * In delivery order: `beforeCommit` sinks run one after the other in this order, then the
 * commit (with the `inCommit` sinks' records), then `afterCommit` ones. Rollup windows go
 * into the transaction when there is one (the Kafka runtime; the rollup writer puts them in
 * S3), else to S3 before the commit (the Lambda, whose checkpoint is in S3 anyway).
 */
export const SINK_FACTORIES: readonly SinkFactory[] = [
  (cfg, ctx) => (ctx.transaction ? rollupsTopicSink(ctx.transaction) : parquetRollupSink(ctx.store, cfg.s3.prefix)),
  remoteWriteSink,
];

export function buildSinks(cfg: SinkConfig, ctx: SinkContext, factories: readonly SinkFactory[] = SINK_FACTORIES): Sink[] {
  return factories.map((f) => f(cfg, ctx)).filter((s): s is Sink => s !== null);
}

/** The core's optional outputs the sinks read (`createCore` options). */
export function coreOutputsFor(sinks: readonly Sink[]): { emitRates: boolean; emitPoints: boolean } {
  return { emitRates: sinks.some((s) => s.reads?.rates === true), emitPoints: sinks.some((s) => s.reads?.points === true) };
}

/** Sends what every sink holds (bounded by each sink's settings). */
export async function flushSinks(sinks: readonly Sink[]): Promise<void> {
  await Promise.all(sinks.map((s) => s.flush?.()));
}

export async function stopSinks(sinks: readonly Sink[]): Promise<void> {
  await Promise.all(sinks.map((s) => s.stop?.()));
}
