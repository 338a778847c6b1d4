/**
 * `qmpipe processor --config processor.json`: runs the stream processor until
 * SIGTERM/SIGINT; the batch in progress commits, then it exits. Exit codes: 0 clean
 * stop, 2 usage or config error, 1 anything else.
 */
import { UsageError, parseCommandArgs, runCommand } from '#common/command.js';
import { installKafkajsGuards } from '#common/kafkajsGuards.js';
import { createLogger } from '#common/log.js';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { startProcessor } from './main.js';

const help = `Usage: qmpipe processor --config FILE [--role all|stream|rollup-writer] [--check]

Consumes the raw topic as a Kafka consumer group and, per input partition, in one
Kafka transaction: publishes alerts (and optional rates) and the rollup windows it
closed (rollups topic), dead-letters poison records, checkpoints its state and
commits the offset. The rollup writer, a consumer group of its own, turns the
rollups topic into Parquet objects on S3; S3 being down never holds the alerts.
Alert consumers must read with isolation.level=read_committed. See processor/README.md.

Options:
  --config FILE   processor config (JSON, validated strictly; see processor/processor.example.json)
  --role ROLE     all (default: both in this process), stream (the raw topic only) or
                  rollup-writer (the rollups topic to S3 only); overrides the config's role
  --check         validate the config and exit
  -h, --help      this help

Environment: QMPIPE_KAFKA_BROKERS, QMPIPE_KAFKA_SASL_USERNAME, QMPIPE_KAFKA_SASL_PASSWORD,
QMPIPE_S3_ENDPOINT, QMPIPE_S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, QMPIPE_LOG_LEVEL.
`;

const ROLES = ['all', 'stream', 'rollup-writer'] as const;

function isRole(r: string): r is (typeof ROLES)[number] {
  return (ROLES as readonly string[]).includes(r);
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help);
    return 0;
  }
  return runCommand('processor', help, async () => {
    const { values, positionals } = parseCommandArgs(argv, { config: { type: 'string' }, role: { type: 'string' }, check: { type: 'boolean' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!values.config) throw new UsageError('--config is required');
    const loaded = loadProcessorRuntimeConfig({ file: values.config, env: process.env });
    const role = values.role ?? loaded.role;
    if (!isRole(role)) throw new UsageError(`--role must be all, stream or rollup-writer, not '${role}'`);
    const cfg = { ...loaded, role };
    if (values.check) {
      process.stdout.write('config ok\n');
      return 0;
    }
    installKafkajsGuards();
    const log = createLogger({ app: 'qmpipe-processor' }, { level: cfg.log.level });
    // Listen for signals before starting, so a SIGTERM during start-up still stops cleanly.
    const stopRequested = new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    const running = await startProcessor(cfg, log);
    log.info('stopping', { signal: await stopRequested });
    await running.stop();
    return 0;
  });
}
