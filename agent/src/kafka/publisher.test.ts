/**
 * KafkaPublisher against a broker that rejects every connection at once (as with a
 * wrong SASL password): the retry loop backs off instead of reconnecting on every new
 * record, says why once, and keeps every record in the spool.
 * kafkajs is replaced by a stub whose admin/producer `connect` always fails.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '#common/log.js';
import { fixturePath } from '#test/support/fixtures.js';
import { replayFile } from '#tools/transcript/replay.js';
import { loadAgentConfig } from '#schemas/config/agent.js';
import { Spool } from '../spool/spool.js';
import { createTelemetry } from '../telemetry.js';
import { KafkaPublisher } from './publisher.js';

const broker = vi.hoisted(() => ({ connects: 0 }));

vi.mock('kafkajs', async (importOriginal) => {
  const k = await importOriginal<typeof import('kafkajs')>();
  // kafkajs's typings omit the message argument its constructor takes.
  const SaslError = k.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
  const reject = async (): Promise<never> => {
    broker.connects++;
    throw new SaslError('SASL SCRAM SHA512 authentication failed: invalid credentials');
  };
  class RejectingKafka {
    admin() {
      return { connect: reject, disconnect: async () => {} };
    }
    producer() {
      return { connect: reject, disconnect: async () => {} };
    }
  }
  return { ...k, Kafka: RejectingKafka };
});

let pub: KafkaPublisher | undefined;
afterEach(async () => {
  await pub?.stop(100);
  pub = undefined;
});

describe('KafkaPublisher when the broker rejects the connection', () => {
  it('backs off between attempts even while records keep coming, logs the reason once, keeps the records', async () => {
    broker.connects = 0;
    const lines: Array<{ level: string; msg: string; error?: string }> = [];
    const logger = createLogger({}, { level: 'debug', write: (l) => lines.push(JSON.parse(l) as (typeof lines)[number]) });
    const cfg = loadAgentConfig({
      raw: { kafka: { brokers: ['127.0.0.1:9093'], sasl: { mechanism: 'scram-sha-512', username: 'agent', password: 'wrong' } } },
    });
    const spool = new Spool({ memoryBytes: 1 << 20, diskBytes: 0 });
    const record = replayFile(fixturePath('qmp', 'kvm-vcpu-stats.jsonl')).records[0]!;
    pub = new KafkaPublisher(cfg.kafka, spool, createTelemetry(), logger);
    pub.start();
    // A record every 20 ms for 1.5 s (many VMs sampling): before the fix each one cut the
    // backoff short and the agent re-authenticated ~75 times. Backoff 300 ms, 600 ms, 1.2 s (±20 %).
    let sent = 0;
    for (const t0 = Date.now(); Date.now() - t0 < 1500; sent++) {
      pub.publish('vm-1', { ...record, seq: sent });
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(broker.connects).toBeGreaterThanOrEqual(2);
    expect(broker.connects).toBeLessThanOrEqual(4);
    const warned = lines.filter((l) => l.msg === 'Kafka unavailable; records wait in the spool');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.error).toContain('SASL SCRAM SHA512 authentication failed');
    expect(spool.records).toBe(sent);
  });
});
