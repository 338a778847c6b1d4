/**
 * The `--kafka` source: the processor's rates and alerts topics, every host's VMs.
 * The shared topic tailer (common/src/kafka/tailer.ts: read_committed, from the beginning,
 * a random consumer group that commits nothing, caught up once every partition of both
 * topics is read to the end offset it had at start) with the rate and alert decoding.
 * The connection is the one Kafka schema (schemas/src/config/kafka.ts) from QMPIPE_KAFKA_*
 * and --brokers. Records that do not decode are counted (in the source's label, and one warning line
 * at the end), never fatal. There are no Samples here: chain
 * elements come from the block.<dev>.<i>.* gauges (no node or file name), QMP events are
 * not on these topics.
 */
import { loadConfig } from '#common/config.js';
import { QmpipeError } from '#common/errors.js';
import { startTailer } from '#common/kafka/tailer.js';
import { createLogger } from '#common/log.js';
import { KAFKA_CLIENT_ENV } from '#schemas/config/env.js';
import { kafkaConnectionSchema } from '#schemas/config/kafka.js';
import { LogConfig } from '#schemas/config/log.js';
import { fromAlertRecord, outputCodecs } from '#schemas/codecs/outputs.js';
import { z } from 'zod';
import { applyAlert, applyRate, initialTopState, type TopState } from '../model/topState.js';

const KafkaFlags = z
  .object({
    kafka: kafkaConnectionSchema('qmpipe-top'),
    log: LogConfig.prefault({}),
    ratesTopic: z.string().min(1).default('qmpipe.rates'),
    alertsTopic: z.string().min(1).default('qmpipe.alerts'),
  })
  .strict();
export type KafkaFlags = z.infer<typeof KafkaFlags>;

/** --brokers, --rates-topic, --alerts-topic over the environment's Kafka settings (QMPIPE_KAFKA_*). */
export function parseKafkaFlags(
  v: { brokers?: string | undefined; 'rates-topic'?: string | undefined; 'alerts-topic'?: string | undefined },
  env: NodeJS.ProcessEnv,
): KafkaFlags {
  const overrides: Record<string, unknown> = {};
  if (v.brokers !== undefined) overrides['kafka.brokers'] = v.brokers.split(',').map((s) => s.trim());
  if (v['rates-topic'] !== undefined) overrides['ratesTopic'] = v['rates-topic'];
  if (v['alerts-topic'] !== undefined) overrides['alertsTopic'] = v['alerts-topic'];
  return loadConfig(KafkaFlags, 'top --kafka options', KAFKA_CLIENT_ENV, { raw: { kafka: { brokers: [] } }, env, overrides });
}

export interface KafkaSource {
  readonly label: string;
  readonly state: TopState;
  readonly undecodable: number;
  /** Resolves once both topics were read to their start-time ends. */
  readonly caughtUp: Promise<void>;
  stop(): Promise<void>;
}

export interface KafkaSourceOptions {
  /** Keep reading past the start-time ends (the live view); else read up to them. */
  follow: boolean;
  /**
   * `--once --timeout`: give up starting after this long (startKafkaSource rejects), and
   * `caughtUp` resolves by then with what was read, or rejects (TOP_NO_RECORD) if that is no VM.
   */
  timeoutMs?: number;
}

export async function startKafkaSource(o: KafkaFlags, opts: KafkaSourceOptions, start: typeof startTailer = startTailer): Promise<KafkaSource> {
  const log = createLogger({ command: 'top' }, { level: o.log.level });
  const giveUp = new AbortController();
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => giveUp.abort(), opts.timeoutMs);
  const topics = [o.ratesTopic, o.alertsTopic];
  const state = initialTopState();
  const codecs = outputCodecs();
  let undecodable = 0;
  let markCaughtUp: () => void = () => {};
  const caughtUp = new Promise<void>((resolve, reject) => {
    markCaughtUp = resolve;
    giveUp.signal.addEventListener('abort', () => {
      if (Object.keys(state.vms).length > 0) resolve();
      else reject(new QmpipeError('TOP_NO_RECORD', `nothing read from kafka ${o.kafka.brokers.join(',')} within ${opts.timeoutMs! / 1000} s`));
    });
  });
  caughtUp.catch(() => {});
  const tailer = await start(
    {
      kafka: o.kafka,
      topics,
      from: 'beginning',
      mode: opts.follow ? 'follow' : 'until-end',
      group: 'qmpipe-top',
      missingHint: 'the processor writes rates only with kafka.ratesTopic set',
      log,
      maxWaitTimeMs: 500,
      ...(timer === undefined ? {} : { signal: giveUp.signal }),
    },
    {
      onRecords(topic, _partition, records) {
        for (const m of records) {
          if (!m.value) continue;
          try {
            if (topic === o.ratesTopic) applyRate(state, codecs.rate.decode(m.value));
            else applyAlert(state, fromAlertRecord(codecs.alert.decode(m.value)));
          } catch {
            undecodable++;
          }
        }
      },
      onCaughtUp: () => markCaughtUp(),
    },
  ).catch((err: unknown) => {
    clearTimeout(timer);
    throw err;
  });
  const label = `kafka ${o.kafka.brokers.join(',')}`;
  return {
    get label() {
      return undecodable > 0 ? `${label}, ${undecodable} undecodable skipped` : label;
    },
    state,
    get undecodable() {
      return undecodable;
    },
    caughtUp,
    stop: async () => {
      clearTimeout(timer);
      await tailer.stop();
      if (undecodable > 0) log.warn('records that did not decode were skipped', { undecodable, topics });
    },
  };
}
