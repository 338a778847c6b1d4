import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '#schemas/config/agent.js';
import { kafkaClientConfig, producerConfig, topicsToCreate } from './options.js';

describe('kafka options', () => {
  it('producer: idempotent, one request in flight, no auto topic creation, retries allowed', () => {
    expect(producerConfig).toMatchObject({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    expect(producerConfig.retry!.retries).toBeGreaterThan(0); // kafkajs refuses an idempotent producer without retries
  });

  it('topics: none created by default; when on, raw (broker append time) and compacted schemas, on the broker default replication unless named', () => {
    const dflt = loadAgentConfig({ raw: { kafka: { brokers: ['k:1'] } } });
    expect(dflt.kafka.createTopics).toBe('off');
    expect(topicsToCreate(dflt.kafka).map((t) => t.replicationFactor)).toEqual([-1, -1]);
    const cfg = loadAgentConfig({ raw: { kafka: { brokers: ['k:1'], partitions: 12, replicationFactor: 3 } } });
    expect(topicsToCreate(cfg.kafka)).toEqual([
      { topic: 'qmpipe.raw', numPartitions: 12, replicationFactor: 3, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] },
      { topic: 'qmpipe.schemas', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ]);
  });

  it('TLS files and SASL (password from the environment) reach kafkajs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kopts-'));
    writeFileSync(join(dir, 'ca.pem'), 'CA');
    writeFileSync(join(dir, 'cert.pem'), 'CERT');
    writeFileSync(join(dir, 'key.pem'), 'KEY');
    const cfg = loadAgentConfig({
      raw: {
        kafka: {
          brokers: ['k:9093'],
          tls: { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') },
          sasl: { mechanism: 'scram-sha-512', username: 'agent' },
        },
      },
      env: { QMPIPE_KAFKA_SASL_PASSWORD: 'pw' },
    });
    const k = kafkaClientConfig(cfg.kafka);
    rmSync(dir, { recursive: true, force: true });
    expect(k.ssl).toEqual({ rejectUnauthorized: true, ca: ['CA'], cert: 'CERT', key: 'KEY' });
    expect(k.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'agent', password: 'pw' });
    expect(k.brokers).toEqual(['k:9093']);
  });

  it('plaintext by default', () => {
    const k = kafkaClientConfig(loadAgentConfig({ raw: { kafka: { brokers: ['k:1'] } } }).kafka);
    expect(k.ssl).toBeUndefined();
    expect(k.sasl).toBeUndefined();
  });
});
