/**
 * `qmpipe topics create [--config FILE] [--dry-run]`: creates the pipeline's missing
 * topics with their configs (the processor's topic layout, kafka/topics.ts), as a
 * deployment step, so neither the agents nor the processor need the right to create
 * topics. Existing topics are left as they are, so it can run again. The config is the
 * processor's (its s3 section may be absent), or the environment alone.
 * Exit codes: 0 done, 2 usage or config error, 1 anything else.
 */
import kafkajs from 'kafkajs';
import { loadConfig } from '#common/config.js';
import { UsageError, parseCommandArgs, runCommand, writeOut } from '#common/command.js';
import { kafkaClientConfig } from '#common/kafka.js';
import { installKafkajsGuards } from '#common/kafkajsGuards.js';
import { PROCESSOR_ENV } from '#schemas/config/env.js';
import { ProcessorRuntimeConfig, ProcessorS3Config } from '#schemas/config/processorRuntime.js';
import { describeTopic, planTopics } from './kafka/topics.js';
import { withAdmin } from './main.js';

const help = `Usage: qmpipe topics create [--config FILE] [--dry-run]

Creates the pipeline's missing topics with their configs: the raw topic (broker
append time), the compacted writer-schema and checkpoint topics, alerts, rates (when
on) and dead letters. Existing topics are left as they are. Replication factor: the
broker's default unless kafka.replicationFactor says otherwise; raw partitions:
kafka.rawPartitions. See processor/README.md, "Topics".

Options:
  --config FILE   the processor's config (JSON; its s3 section may be absent)
  --dry-run       print what would be created, create nothing
  -h, --help      this help

Environment: QMPIPE_KAFKA_BROKERS and the other QMPIPE_KAFKA_* variables.
`;

/** The processor's config, where only the Kafka section matters. */
const TopicsConfig = ProcessorRuntimeConfig.extend({ s3: ProcessorS3Config.optional() });

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help);
    return 0;
  }
  return runCommand('topics', help, async () => {
    const { values, positionals } = parseCommandArgs(argv, { config: { type: 'string' }, 'dry-run': { type: 'boolean' } });
    if (positionals[0] !== 'create') throw new UsageError(positionals.length === 0 ? 'which subcommand? (create)' : `unknown subcommand '${positionals[0]}'`);
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    const cfg = loadConfig(TopicsConfig, 'processor config', PROCESSOR_ENV, { file: values.config, env: process.env });
    installKafkajsGuards();
    const kafka = new kafkajs.Kafka({ ...kafkaClientConfig(cfg.kafka), logLevel: kafkajs.logLevel.NOTHING });
    const dryRun = values['dry-run'] === true;
    const plan = await withAdmin(kafka, async (admin) => {
      const p = await planTopics(admin, cfg.kafka, cfg.kafka.rawPartitions);
      if (!dryRun && p.missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: p.missing });
      return p;
    });
    const verb = dryRun ? 'would create' : 'created';
    writeOut(`${[...plan.existing.map((t) => `exists ${t}`), ...plan.missing.map((t) => `${verb} ${describeTopic(t)}`)].join('\n')}\n`);
    return 0;
  });
}
