/**
 * `qmpipe topics create` on the real broker: --dry-run creates nothing and prints the
 * layout; the command creates the missing topics with their configs (raw on the broker's
 * append time, schemas and checkpoints compacted) on the broker's default replication
 * factor, and a second run creates nothing. An agent on its default config creates no
 * topic: it waits for them, says so, and publishes once they exist.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentHandle } from '#agent/main.js';
import { createLogger } from '#common/log.js';
import { loadAgentConfig } from '#schemas/config/agent.js';
import { run as topics } from '#processor/runtime/topicsCommand.js';
import { agentConfig, waitFor } from './agent-support.js';
import { kafkaClient, randomName, stack } from './helpers/index.js';
import { captureStdio } from '#test/support/captureStdio.js';

const dir = mkdtempSync(join(tmpdir(), 'it-topics-'));

const io = captureStdio();

async function runTopics(argv: string[]): Promise<{ code: number; out: string }> {
  io.stdout = '';
  io.stderr = '';
  const code = await topics(argv);
  return { code, out: io.stdout + io.stderr };
}

async function withAdmin<T>(fn: (a: ReturnType<ReturnType<typeof kafkaClient>['admin']>) => Promise<T>): Promise<T> {
  const admin = kafkaClient('it-topics-admin').admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

const agents: AgentHandle[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop();
});

describe('qmpipe topics create', () => {
  it('creates the missing topics with their configs on the broker default replication, and is idempotent', async () => {
    const id = randomName('it-topics');
    const names = {
      rawTopic: `${id}-raw`,
      schemaTopic: `${id}-schemas`,
      checkpointTopic: `${id}-checkpoints`,
      alertsTopic: `${id}-alerts`,
      ratesTopic: `${id}-rates`,
      deadLetterTopic: `${id}-dlq`,
      rollupsTopic: `${id}-rollups`,
    };
    const file = join(dir, `${id}.json`);
    // No replicationFactor: the broker's default (the local stack's default.replication.factor is 1).
    writeFileSync(file, JSON.stringify({ kafka: { brokers: stack().kafkaBrokers, rawPartitions: 3, ...names } }));

    const dry = await runTopics(['create', '--config', file, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out.trim().split('\n').sort()).toEqual(
      [
        `would create ${names.rawTopic} partitions=3 replicationFactor=broker-default message.timestamp.type=LogAppendTime`,
        `would create ${names.schemaTopic} partitions=1 replicationFactor=broker-default cleanup.policy=compact`,
        `would create ${names.checkpointTopic} partitions=3 replicationFactor=broker-default cleanup.policy=compact min.compaction.lag.ms=0 max.message.bytes=67108864`,
        `would create ${names.alertsTopic} partitions=3 replicationFactor=broker-default`,
        `would create ${names.deadLetterTopic} partitions=1 replicationFactor=broker-default`,
        `would create ${names.ratesTopic} partitions=3 replicationFactor=broker-default`,
        `would create ${names.rollupsTopic} partitions=3 replicationFactor=broker-default`,
      ].sort(),
    );
    const all = Object.values(names);
    expect((await withAdmin((a) => a.listTopics())).filter((t) => all.includes(t))).toEqual([]);

    const created = await runTopics(['create', '--config', file]);
    expect(created.code).toBe(0);
    expect(created.out.trim().split('\n').sort()).toEqual(
      dry.out
        .replace(/would create/g, 'created')
        .trim()
        .split('\n')
        .sort(),
    );

    const { meta, configs } = await withAdmin(async (a) => ({
      meta: await a.fetchTopicMetadata({ topics: all }),
      configs: await a.describeConfigs({
        includeSynonyms: false,
        resources: all.map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ['message.timestamp.type', 'cleanup.policy'],
        })),
      }),
    }));
    const config = new Map(configs.resources.map((r) => [r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue]))]));
    expect(config.get(names.rawTopic)!.get('message.timestamp.type')).toBe('LogAppendTime');
    expect(config.get(names.schemaTopic)!.get('cleanup.policy')).toBe('compact');
    expect(config.get(names.checkpointTopic)!.get('cleanup.policy')).toBe('compact');
    expect(config.get(names.alertsTopic)!.get('cleanup.policy')).toBe('delete');
    const shape = new Map(meta.topics.map((t) => [t.name, { partitions: t.partitions.length, replicas: t.partitions[0]!.replicas.length }]));
    expect(shape.get(names.rawTopic)).toEqual({ partitions: 3, replicas: 1 });
    expect(shape.get(names.checkpointTopic)).toEqual({ partitions: 3, replicas: 1 });
    expect(shape.get(names.schemaTopic)).toEqual({ partitions: 1, replicas: 1 });

    const again = await runTopics(['create', '--config', file]);
    expect(again.code).toBe(0);
    expect(again.out.trim().split('\n').sort()).toEqual(all.map((t) => `exists ${t}`).sort());
  });

  it('refuses an unknown subcommand', async () => {
    expect((await runTopics(['delete'])).code).toBe(2);
  });

  it('an agent on its default config creates no topic: it waits for them, then publishes', async () => {
    const base = agentConfig({ fastIntervalMs: 500 });
    const dflt = loadAgentConfig({ raw: { kafka: { brokers: base.kafka.brokers } } }).kafka;
    const cfg = { ...base, kafka: { ...base.kafka, createTopics: dflt.createTopics, replicationFactor: dflt.replicationFactor } };
    const logs: Array<{ msg: string; topics?: string[] }> = [];
    const logger = createLogger({}, { level: 'debug', write: (l) => logs.push(JSON.parse(l) as { msg: string }) });
    const agent = await startAgent(cfg, { logger });
    agents.push(agent);
    await waitFor('the agent to say it waits for its topics', () => logs.some((l) => l.msg.startsWith('waiting for topics')));
    expect(logs.find((l) => l.msg.startsWith('waiting for topics'))!.topics).toEqual([cfg.kafka.rawTopic, cfg.kafka.schemaTopic]);
    const existing = await withAdmin((a) => a.listTopics());
    expect(existing).not.toContain(cfg.kafka.rawTopic);
    expect(existing).not.toContain(cfg.kafka.schemaTopic);

    const file = join(dir, `${cfg.kafka.rawTopic}.json`);
    const id = cfg.kafka.rawTopic;
    writeFileSync(
      file,
      JSON.stringify({
        kafka: {
          brokers: stack().kafkaBrokers,
          rawTopic: cfg.kafka.rawTopic,
          schemaTopic: cfg.kafka.schemaTopic,
          checkpointTopic: `${id}-ck`,
          alertsTopic: `${id}-alerts`,
          deadLetterTopic: `${id}-dlq`,
          rollupsTopic: `${id}-rollups`,
          replicationFactor: 1,
        },
      }),
    );
    expect((await runTopics(['create', '--config', file])).code).toBe(0);
    await waitFor('the agent producer', () => logs.some((l) => l.msg === 'Kafka producer ready'), 60_000);
  });
});
