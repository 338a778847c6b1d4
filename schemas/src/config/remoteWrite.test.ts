import { describe, expect, it } from 'vitest';
import { ConfigError } from '#common/errors.js';
import { loadLambdaConfig } from './lambda.js';
import { loadProcessorRuntimeConfig } from './processorRuntime.js';

const base = { QMPIPE_KAFKA_BROKERS: 'b1:9092', QMPIPE_S3_BUCKET: 'rollups-bucket' };

describe('remoteWrite config', () => {
  it('is off by default', () => {
    expect(loadProcessorRuntimeConfig({ env: base }).remoteWrite).toMatchObject({ url: 'off', batchSize: 2000, maxQueueSamples: 500_000, labels: {} });
  });

  it('takes the URL and the basic-auth secret from the environment (processor and Lambda alike)', () => {
    const env = {
      ...base,
      QMPIPE_REMOTE_WRITE_URL: 'https://mimir.example/api/v1/push',
      QMPIPE_REMOTE_WRITE_USERNAME: 'qmpipe',
      QMPIPE_REMOTE_WRITE_PASSWORD: 's3cret',
    };
    for (const c of [loadProcessorRuntimeConfig({ env }), loadLambdaConfig(env)]) {
      expect(c.remoteWrite.url).toBe('https://mimir.example/api/v1/push');
      expect(c.remoteWrite.basicAuth).toEqual({ username: 'qmpipe', password: 's3cret' });
    }
    expect(
      loadLambdaConfig({ ...base, QMPIPE_REMOTE_WRITE_URL: 'http://p:9090/api/v1/write', QMPIPE_REMOTE_WRITE_BEARER_TOKEN: 'tok' }).remoteWrite.bearerToken,
    ).toBe('tok');
  });

  it('refuses basic auth and a bearer token together, and a URL that is not http(s)', () => {
    const both = {
      ...base,
      QMPIPE_REMOTE_WRITE_URL: 'http://p:9090/api/v1/write',
      QMPIPE_REMOTE_WRITE_USERNAME: 'u',
      QMPIPE_REMOTE_WRITE_PASSWORD: 'p',
      QMPIPE_REMOTE_WRITE_BEARER_TOKEN: 't',
    };
    expect(() => loadProcessorRuntimeConfig({ env: both })).toThrow(ConfigError);
    expect(() => loadProcessorRuntimeConfig({ env: { ...base, QMPIPE_REMOTE_WRITE_URL: 'ftp://p/x' } })).toThrow(/remoteWrite\.url/);
  });
});
