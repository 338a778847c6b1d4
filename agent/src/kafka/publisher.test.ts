/**
 * KafkaPublisher against a broker that rejects every connection at once (as with a
 * wrong SASL password): the retry loop backs off instead of reconnecting on every new
 * record, says why once, and keeps every record in the spool.
 * kafkajs is replaced by a stub whose admin/producer `connect` always fails.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '#common/log.js';
import { fixturePath } from '#test/support/fixtures.js';
import { replayFile } from '#tools/transcript/replay.js';
import { loadAgentConfig } from '#schemas/config/agent.js';
import { DeadLetterFile } from '../spool/deadLetter.js';
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

describe('KafkaPublisher, a record over kafka.maxRecordBytes', () => {
  it('is dead-lettered at once, never spooled, counted, and its VM is told', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deadletter-'));
    const cfg = loadAgentConfig({ raw: { kafka: { brokers: ['127.0.0.1:9093'], maxRecordBytes: 2048 }, spool: { dir } } });
    const spool = new Spool({ memoryBytes: 1 << 20, diskBytes: 0 });
    const telemetry = createTelemetry();
    const told: string[] = [];
    pub = new KafkaPublisher(cfg.kafka, spool, telemetry, undefined, {
      file: new DeadLetterFile(dir, cfg.spool.deadLetterBytes),
      onDeadLetter: (key, reason) => told.push(`${key}:${reason}`),
    });
    const records = replayFile(fixturePath('qmp', 'kvm-vcpu-stats.jsonl')).records;
    const big = records.find((r) => r.body.kind === 'StatsSchemaSnapshot')!; // ~9 KB encoded
    const small = records.find((r) => r.body.kind === 'AgentNotice' || r.body.kind === 'QmpEvent') ?? records[1]!;
    pub.publish('vm-1', big);
    pub.publish('vm-1', { ...small, body: { kind: 'AgentNotice', value: { kind: 'connected', message: 'm', count: 0 } } });
    expect(spool.records).toBe(1);
    expect(telemetry.deadLettered.value({ reason: 'record-too-large' })).toBe(1);
    expect(told).toEqual(['vm-1:record-too-large']);
    const line = JSON.parse(readFileSync(join(dir, 'dead-letter.jsonl'), 'utf8')) as { key: string; reason: string; bytes: number; value: string };
    expect(line).toMatchObject({ key: 'vm-1', reason: 'record-too-large' });
    expect(line.bytes).toBeGreaterThan(2048);
    expect(Buffer.from(line.value, 'base64')).toHaveLength(line.bytes);
    rmSync(dir, { recursive: true, force: true });
  });
});
