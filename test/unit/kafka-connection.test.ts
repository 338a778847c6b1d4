/**
 * One Kafka connection schema (schemas/src/config/kafka.ts) and one environment binding
 * (schemas/src/config/env.ts) for every command that talks to Kafka: the same variables
 * give the same connection and log level to the agent, the processor, the Lambda handler,
 * `qmpipe alerts tail|forward` and `qmpipe top --kafka`.
 *
 * Regressions: alerts' own schema had no `tls`, yet the shared binding loaded
 * QMPIPE_KAFKA_TLS* into it (`QMPIPE_KAFKA_TLS=true qmpipe alerts tail` exited 2 with
 * `Unrecognized key: "tls"`); top accepted only a CA file (no mutual TLS); the processor
 * ignored QMPIPE_LOG_LEVEL.
 */
import { describe, expect, it } from 'vitest';
import { parseForwardOptions, parseTailOptions } from '#alerts/config.js';
import { ConfigError } from '#common/errors.js';
import { loadAgentConfig } from '#schemas/config/agent.js';
import { loadLambdaConfig } from '#schemas/config/lambda.js';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { parseKafkaFlags } from '#top/source/kafka.js';

type Loaded = { kafka: { clientId: string; tls?: unknown; sasl?: unknown; brokers: string[] }; log: { level: string } };

/** Every command's loader, given only the environment. */
const commands: Array<[string, (env: NodeJS.ProcessEnv) => Loaded]> = [
  ['agent', (env) => loadAgentConfig({ raw: {}, env })],
  ['processor', (env) => loadProcessorRuntimeConfig({ raw: { s3: { bucket: 'bkt' } }, env })],
  ['lambda', (env) => loadLambdaConfig({ QMPIPE_S3_BUCKET: 'bkt', ...env })],
  ['alerts tail', (env) => parseTailOptions({}, env)],
  ['alerts forward', (env) => parseForwardOptions({ alertmanager: 'http://127.0.0.1:9093' }, env)],
  ['top --kafka', (env) => parseKafkaFlags({}, env)],
];

const mtls = {
  QMPIPE_KAFKA_BROKERS: 'k1:9093,k2:9093',
  QMPIPE_KAFKA_TLS_CA_FILE: '/etc/qmpipe/ca.pem',
  QMPIPE_KAFKA_TLS_CERT_FILE: '/etc/qmpipe/client.pem',
  QMPIPE_KAFKA_TLS_KEY_FILE: '/etc/qmpipe/client.key',
  QMPIPE_KAFKA_SASL_USERNAME: 'u',
  QMPIPE_KAFKA_SASL_PASSWORD: 'p',
  QMPIPE_LOG_LEVEL: 'debug',
};

describe('one Kafka connection for every command', () => {
  it.each(commands)('%s: mutual TLS, SASL and the log level from the environment', (_name, load) => {
    const c = load(mtls);
    expect(c.kafka.brokers).toEqual(['k1:9093', 'k2:9093']);
    expect(c.kafka.tls).toEqual({
      caFile: '/etc/qmpipe/ca.pem',
      certFile: '/etc/qmpipe/client.pem',
      keyFile: '/etc/qmpipe/client.key',
      rejectUnauthorized: true,
    });
    expect(c.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    expect(c.log.level).toBe('debug');
  });

  it.each(commands)('%s: QMPIPE_KAFKA_TLS=true is TLS verified with the system CAs', (_name, load) => {
    expect(load({ QMPIPE_KAFKA_BROKERS: 'k:9093', QMPIPE_KAFKA_TLS: 'true' }).kafka.tls).toEqual({ rejectUnauthorized: true });
  });

  it.each(commands)('%s: a client certificate without its key is a config error', (_name, load) => {
    expect(() => load({ QMPIPE_KAFKA_BROKERS: 'k:9093', QMPIPE_KAFKA_TLS_CERT_FILE: '/c.pem' })).toThrow(
      /kafka\.tls: mutual TLS needs both certFile and keyFile/,
    );
  });

  it.each(commands)('%s: an unknown log level names the variable', (_name, load) => {
    expect(() => load({ QMPIPE_KAFKA_BROKERS: 'k:9093', QMPIPE_LOG_LEVEL: 'verbose' })).toThrow(ConfigError);
    expect(() => load({ QMPIPE_KAFKA_BROKERS: 'k:9093', QMPIPE_LOG_LEVEL: 'verbose' })).toThrow(/log\.level.*QMPIPE_LOG_LEVEL="verbose"/);
  });

  it('each command keeps its own client id', () => {
    expect(commands.map(([name, load]) => [name, load({ QMPIPE_KAFKA_BROKERS: 'k:1' }).kafka.clientId])).toEqual([
      ['agent', 'qmpipe-agent'],
      ['processor', 'qmpipe-processor'],
      ['lambda', 'qmpipe-lambda'],
      ['alerts tail', 'qmpipe-alerts-tail'],
      ['alerts forward', 'qmpipe-alerts-forward'],
      ['top --kafka', 'qmpipe-top'],
    ]);
  });

  it('QMPIPE_LOG_LEVEL wins over the config file', () => {
    const raw = { kafka: { brokers: ['k:1'] }, s3: { bucket: 'bkt' }, log: { level: 'warn' } };
    expect(loadProcessorRuntimeConfig({ raw, env: {} }).log.level).toBe('warn');
    expect(loadProcessorRuntimeConfig({ raw, env: { QMPIPE_LOG_LEVEL: 'debug' } }).log.level).toBe('debug');
    expect(loadAgentConfig({ raw: { kafka: raw.kafka, log: raw.log }, env: { QMPIPE_LOG_LEVEL: 'error' } }).log.level).toBe('error');
  });
});
