import { describe, expect, it } from 'vitest';
import { ConfigError } from '#common/errors.js';
import { loadLambdaConfig } from './lambda.js';

const base = { QMPIPE_KAFKA_BROKERS: 'b1:9092,b2:9092', QMPIPE_S3_BUCKET: 'rollups-bucket' };

describe('Lambda config from the environment', () => {
  it('fills every default the handler used to repeat by hand', () => {
    const c = loadLambdaConfig(base);
    expect(c.kafka).toMatchObject({ brokers: ['b1:9092', 'b2:9092'], clientId: 'qmpipe-lambda', alertsTopic: 'qmpipe.alerts', schemaTopic: 'qmpipe.schemas' });
    expect(c.s3).toMatchObject({ bucket: 'rollups-bucket', prefix: 'rollups', region: 'us-east-1', forcePathStyle: false });
    expect(c).toMatchObject({ checkpointPrefix: 'checkpoints', deadLetterPrefix: 'deadletters', rollups: { allowedLatenessMs: 10_000 } });
    expect(c.kafka.sasl).toBeUndefined();
  });

  it('takes Kafka SASL and TLS like the processor (the SAM template declares SCRAM-SHA-512)', () => {
    const c = loadLambdaConfig({
      ...base,
      QMPIPE_KAFKA_SASL_USERNAME: 'lambda',
      QMPIPE_KAFKA_SASL_PASSWORD: 's3cret',
      QMPIPE_KAFKA_TLS_CA_FILE: '/opt/ca.pem',
    });
    expect(c.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'lambda', password: 's3cret' });
    expect(c.kafka.tls).toEqual({ caFile: '/opt/ca.pem', rejectUnauthorized: true });
    expect(loadLambdaConfig({ ...base, QMPIPE_KAFKA_TLS: 'true' }).kafka.tls).toEqual({ rejectUnauthorized: true }); // TLS with the system CAs
  });

  it('reads the rest of its variables', () => {
    const c = loadLambdaConfig({
      ...base,
      AWS_REGION: 'eu-west-1',
      QMPIPE_S3_ENDPOINT: 'http://127.0.0.1:9000',
      QMPIPE_S3_FORCE_PATH_STYLE: 'true',
      QMPIPE_ROLLUP_PREFIX: 'r',
      QMPIPE_CHECKPOINT_PREFIX: 'c',
      QMPIPE_DEADLETTER_PREFIX: 'd',
      QMPIPE_ALERTS_TOPIC: 'a',
      QMPIPE_SCHEMA_TOPIC: 's',
      QMPIPE_ALLOWED_LATENESS_MS: '2500',
      QMPIPE_CORE_CONFIG: '{"rates":{"sampleIntervalMs":10000}}',
    });
    expect(c.s3).toMatchObject({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, prefix: 'r' });
    expect(c).toMatchObject({ checkpointPrefix: 'c', deadLetterPrefix: 'd', rollups: { allowedLatenessMs: 2500 } });
    expect(c.kafka).toMatchObject({ alertsTopic: 'a', schemaTopic: 's' });
    expect(c.core.rates.sampleIntervalMs).toBe(10_000);
  });

  it.each([
    [{ QMPIPE_S3_BUCKET: 'b' }, /kafka.*\(set QMPIPE_KAFKA_BROKERS/],
    [{ QMPIPE_KAFKA_BROKERS: 'k:1' }, /s3: .*\(set QMPIPE_S3_BUCKET/],
    [{ ...base, QMPIPE_ALLOWED_LATENESS_MS: 'ten seconds' }, /QMPIPE_ALLOWED_LATENESS_MS: 'ten seconds' is not a number/],
    [{ ...base, QMPIPE_ALLOWED_LATENESS_MS: '-5' }, /rollups\.allowedLatenessMs: Too small.*\(from QMPIPE_ALLOWED_LATENESS_MS="-5"\)/],
    [{ ...base, QMPIPE_MAX_RECORD_BYTES: '10' }, /input\.maxRecordBytes: .*\(from QMPIPE_MAX_RECORD_BYTES="10"\)/],
    [{ ...base, QMPIPE_CORE_CONFIG: '{"rates":{"bogus":1}}' }, /core\.rates/],
  ])('%j is refused with the variable or setting named', (env, msg) => {
    expect(() => loadLambdaConfig(env)).toThrow(ConfigError);
    expect(() => loadLambdaConfig(env)).toThrow(msg);
  });
});
